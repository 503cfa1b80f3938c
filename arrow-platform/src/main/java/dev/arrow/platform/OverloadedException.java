package dev.arrow.platform;

import java.time.Duration;

/** The node (or one arrow) is at capacity and its queue is full: try again after {@link #retryAfter()}. */
public final class OverloadedException extends PlatformException {

    private final Duration retryAfter;

    public OverloadedException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
