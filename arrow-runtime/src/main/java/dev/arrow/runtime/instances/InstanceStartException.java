package dev.arrow.runtime.instances;

import dev.arrow.sandbox.Outcome;
import java.util.Optional;

/** An instance that never became ready: why, and how its sandbox ended if it did. */
public final class InstanceStartException extends Exception {

    private final transient Optional<Outcome> outcome;
    private final String logTail;

    public InstanceStartException(String message, Optional<Outcome> outcome, String logTail) {
        super(message);
        this.outcome = outcome;
        this.logTail = logTail;
    }

    public Optional<Outcome> outcome() {
        return outcome;
    }

    /** The last of what the app wrote to stdout and stderr. */
    public String logTail() {
        return logTail;
    }
}
