package dev.arrow.events.triggers;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DeliveryPolicyTest {

    private final DeliveryPolicy policy = new DeliveryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(30),
            Duration.ofHours(1), Optional.empty());

    @Test
    void backoffGrowsExponentiallyUpToTheMaximumWithJitterBelowIt() {
        var random = new SplittableRandom(7);
        long[] ceilings = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
        for (int retry = 1; retry <= ceilings.length; retry++) {
            long max = 0;
            for (int i = 0; i < 2000; i++) {
                long delay = policy.backoff(retry, random).toMillis();
                assertThat(delay).isBetween(0L, ceilings[retry - 1]);
                max = Math.max(max, delay);
            }
            // Full jitter spreads delays over the whole range, not around one value.
            assertThat(max).isGreaterThan(ceilings[retry - 1] * 9 / 10);
        }
        assertThat(policy.backoff(500, random)).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void retriesStopAfterTheAttemptsOrTheMaximumAge() {
        assertThat(policy.retries(4, Duration.ofMinutes(1))).isTrue();
        assertThat(policy.retries(5, Duration.ofMinutes(1))).isFalse();
        assertThat(policy.retries(1, Duration.ofHours(1))).isFalse();
    }
}
