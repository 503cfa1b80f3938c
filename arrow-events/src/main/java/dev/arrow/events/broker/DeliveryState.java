package dev.arrow.events.broker;

import java.time.Instant;
import java.util.Optional;

/** Where a delivery stands, as {@code GET /v1/events} shows it. */
public record DeliveryState(String arrow, int trigger, Status status, int failures, Optional<Instant> settledAt,
        Optional<String> lastError, Optional<String> deadLetterQueue) {

    public enum Status {
        PENDING, DELIVERED, DEAD_LETTERED
    }
}
