package dev.arrow.events.broker;

import java.time.Instant;

/** How an attempt at a delivery ended, as the store records it. */
public sealed interface Settlement {

    /** The arrow took the event. */
    record Delivered(Instant at) implements Settlement {
    }

    /** It failed; tried again at {@code retryAt}. */
    record RetryLater(Instant retryAt, String error) implements Settlement {
    }

    /** It failed for the last time: the event went to {@code queue}, whose message id is {@code messageId}. */
    record DeadLettered(Instant at, String error, String queue, String messageId) implements Settlement {
    }

    /** The arrow could not take it now (at capacity): tried again at {@code retryAt}, no failure counted. */
    record Deferred(Instant retryAt) implements Settlement {
    }
}
