package dev.arrow.flows.execution;

import dev.arrow.flows.definition.FlowError;

/** A step that failed with an error in the spec's format: caught by a {@code try}, or the run's end. */
final class StepFailure extends Exception {

    private final FlowError error;

    StepFailure(FlowError error) {
        super(error.title() == null ? error.type() : error.title() + (error.detail() == null ? "" : ": " + error.detail()),
                null, false, false);
        this.error = error;
    }

    FlowError error() {
        return error;
    }
}
