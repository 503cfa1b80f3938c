package dev.arrow.platform;

/** A failure the platform explains to its caller; the message is meant for users. */
public abstract sealed class PlatformException extends RuntimeException
        permits InvalidInputException, NotFoundException, OverloadedException, InstanceUnavailableException,
                IdempotencyConflictException {

    protected PlatformException(String message) {
        super(message, null, false, false); // expected outcomes: no stack trace to fill
    }
}
