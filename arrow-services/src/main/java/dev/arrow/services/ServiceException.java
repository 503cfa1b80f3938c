package dev.arrow.services;

/**
 * A refusal of a service call that the platform's exceptions do not cover: a condition the
 * caller set that does not hold, a store at its caps, a store that exists with other options.
 * A receipt handle that is stale or of another queue, a queue at its message cap.
 * The message is meant for users; the API answers each kind with its own status.
 */
public abstract sealed class ServiceException extends RuntimeException
        permits PreconditionFailedException, StoreFullException, TooManyKeysException, StoreExistsException,
        ReceiptHandleInvalidException, QueueFullException, ObjectException {

    protected ServiceException(String message) {
        super(message, null, false, false); // expected outcomes: no stack trace to fill
    }
}
