package dev.arrow.services;

import java.util.OptionalLong;

/**
 * The caller's condition on what it writes does not hold (HTTP 412): the key exists when it was
 * to be created, or is at another revision than the one the caller read.
 */
public final class PreconditionFailedException extends ServiceException {

    private final transient OptionalLong current;

    public PreconditionFailedException(String message, OptionalLong current) {
        super(message);
        this.current = current;
    }

    /** The revision the key is at now; empty when it does not exist. */
    public OptionalLong current() {
        return current;
    }
}
