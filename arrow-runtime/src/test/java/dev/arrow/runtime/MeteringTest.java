package dev.arrow.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MeteringTest {

    @Test
    void roundsUpToTheNextMillisecond() {
        assertThat(Metering.billed(Duration.ofNanos(1))).isEqualTo(Duration.ofMillis(1));
        assertThat(Metering.billed(Duration.ofNanos(12_000_001))).isEqualTo(Duration.ofMillis(13));
        assertThat(Metering.billed(Duration.ofMillis(12))).isEqualTo(Duration.ofMillis(12));
        assertThat(Metering.billed(Duration.ZERO)).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void gbSecondsAreMemoryLimitTimesBilledSeconds() {
        assertThat(Metering.gbSeconds(1L << 30, Duration.ofSeconds(2))).isEqualTo(2.0);
        assertThat(Metering.gbSeconds(128L << 20, Duration.ofMillis(13))).isCloseTo(0.001625, within(1e-12));
    }
}
