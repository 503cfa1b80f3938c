package dev.arrow.flows.execution;

import dev.arrow.flows.definition.FlowError;
import java.util.Optional;

/**
 * Unwinds a run's walk when it must stop at once, past every {@code try}: cancelled (no error), or
 * failed on one of the run's limits (the error).
 */
final class RunEnded extends RuntimeException {

    private final transient Optional<FlowError> error;

    RunEnded(Optional<FlowError> error) {
        super(error.map(FlowError::detail).orElse("cancelled"), null, false, false);
        this.error = error;
    }

    Optional<FlowError> error() {
        return error;
    }
}
