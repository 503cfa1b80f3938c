package dev.arrow.services;

/** A send to a queue that holds its {@code maxMessages} already (HTTP 429): receive and delete first. */
public final class QueueFullException extends ServiceException {

    private final long maxMessages;

    public QueueFullException(String message, long maxMessages) {
        super(message);
        this.maxMessages = maxMessages;
    }

    public long maxMessages() {
        return maxMessages;
    }
}
