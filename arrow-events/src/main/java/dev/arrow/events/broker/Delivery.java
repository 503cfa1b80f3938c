package dev.arrow.events.broker;

import java.time.Instant;
import java.util.Optional;

/**
 * One event owed to one arrow by one of its triggers ({@code trigger} is its index in the arrow's
 * list). {@code failures} counts the attempts that failed; {@code serialKey}, when present, names
 * deliveries that must not run at the same time (a schedule's firings that may not overlap).
 */
public record Delivery(long id, String arrow, int trigger, EventEnvelope event, int failures, Instant notBefore,
        Optional<String> lastError, Optional<String> serialKey) {
}
