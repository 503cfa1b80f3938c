package dev.arrow.services;

/**
 * A receipt handle that does not (or no longer) name a receive of a message in this queue (HTTP
 * 400): malformed, of another queue, or stale because the message was received again since.
 */
public final class ReceiptHandleInvalidException extends ServiceException {

    private final String queue;

    public ReceiptHandleInvalidException(String queue, String message) {
        super(message);
        this.queue = queue;
    }

    /** The queue the call named. */
    public String queue() {
        return queue;
    }
}
