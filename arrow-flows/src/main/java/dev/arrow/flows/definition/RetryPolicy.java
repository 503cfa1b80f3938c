package dev.arrow.flows.definition;

import java.time.Duration;
import java.util.Optional;

/**
 * How a caught error is retried (the DSL's {@code retry}): the delay before the first retry grows
 * by {@code backoff}, is capped at {@code maxDelay}, then a random jitter in [jitterFrom, jitterTo]
 * is added. {@code attempts} counts the first one too (3: one try and two retries); {@code within}
 * bounds the time from the first attempt's start to the last retry's start.
 */
public record RetryPolicy(Duration delay, Backoff backoff, Optional<Duration> maxDelay, Duration jitterFrom,
        Duration jitterTo, Optional<Integer> attempts, Optional<Duration> within) {

    /** How the delay grows from one retry to the next. */
    public sealed interface Backoff {
        /** Every retry waits {@code delay}. */
        record Constant() implements Backoff {
        }

        /** The n-th retry (from 1) waits {@code delay * n}. */
        record Linear() implements Backoff {
        }

        /** The n-th retry (from 1) waits {@code delay * factor^(n-1)}; the DSL's factor is 2. */
        record Exponential(double factor) implements Backoff {
        }
    }

    /** The delay before retry number {@code retry} (1 for the first), before jitter. */
    public Duration delayBefore(int retry) {
        double millis = switch (backoff) {
            case Backoff.Constant _ -> delay.toMillis();
            case Backoff.Linear _ -> (double) delay.toMillis() * retry;
            case Backoff.Exponential exponential -> delay.toMillis() * Math.pow(exponential.factor(), retry - 1);
        };
        long capped = (long) Math.min(millis, maxDelay.map(Duration::toMillis).orElse(WaitFor.MAX.toMillis()));
        return Duration.ofMillis(capped);
    }
}
