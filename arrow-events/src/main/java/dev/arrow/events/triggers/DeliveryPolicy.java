package dev.arrow.events.triggers;

import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * How a trigger's events are delivered: up to {@code attempts} tries, the n-th retry after a delay
 * drawn between 0 and {@code min(maxDelay, baseDelay * 2^(n-1))} ("full jitter": retries of many
 * events spread out instead of arriving together), none once the event is older than
 * {@code maxAge}; then the dead-letter queue, the trigger's own or the node's.
 */
public record DeliveryPolicy(int attempts, Duration baseDelay, Duration maxDelay, Duration maxAge,
        Optional<String> deadLetterQueue) {

    public static final int MAX_ATTEMPTS = 100;
    public static final Duration MAX_AGE_LIMIT = Duration.ofDays(14);
    public static final DeliveryPolicy DEFAULT = new DeliveryPolicy(4, Duration.ofSeconds(1), Duration.ofMinutes(5),
            Duration.ofHours(24), Optional.empty());

    public DeliveryPolicy {
        if (attempts < 1 || attempts > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("attempts must be 1 to " + MAX_ATTEMPTS);
        }
        if (baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0 || maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("delays must satisfy 0 <= baseDelay <= maxDelay, and maxAge > 0");
        }
    }

    /** The delay before retry {@code retry} (1 for the first retry), with full jitter from {@code random}. */
    public Duration backoff(int retry, RandomGenerator random) {
        if (retry < 1) {
            throw new IllegalArgumentException("retries count from 1");
        }
        long base = baseDelay.toMillis();
        long ceiling = maxDelay.toMillis();
        // base * 2^(retry-1), capped without overflowing
        long exponential = retry - 1 >= 62 || base > (ceiling >> Math.min(retry - 1, 62)) ? ceiling : base << (retry - 1);
        long cap = Math.min(ceiling, exponential);
        return Duration.ofMillis(cap == 0 ? 0 : random.nextLong(cap + 1));
    }

    /** True when an event of this age that failed {@code failures} times is to be retried. */
    public boolean retries(int failures, Duration age) {
        return failures < attempts && age.compareTo(maxAge) < 0;
    }
}
