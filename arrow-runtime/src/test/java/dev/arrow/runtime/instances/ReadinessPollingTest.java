package dev.arrow.runtime.instances;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadinessPollingTest {

    @Test
    void pausesAreOnePercentOfTheStartSoFarWithinBounds() {
        assertThat(ReadinessPolling.pauseNanos(0)).isEqualTo(50_000);
        assertThat(ReadinessPolling.pauseNanos(50_000_000)).isEqualTo(500_000);
        assertThat(ReadinessPolling.pauseNanos(60_000_000_000L)).isEqualTo(20_000_000);
    }

    @Test
    void aFiftyMillisecondStartIsNoticedWithinHalfAMillisecondInAFewHundredTries() {
        long at = 0;
        int tries = 0;
        long readyAt = 50_000_000;
        while (at < readyAt) {
            at += ReadinessPolling.pauseNanos(at);
            tries++;
        }
        assertThat(at - readyAt).isLessThanOrEqualTo(500_000);
        assertThat(tries).isBetween(100, 400);
    }
}
