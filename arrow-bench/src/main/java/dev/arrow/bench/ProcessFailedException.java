package dev.arrow.bench;

import java.io.Serial;

/** A command that arrow ran for its own purposes failed; the message says which and how. */
final class ProcessFailedException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    ProcessFailedException(String message) {
        super(message);
    }
}
