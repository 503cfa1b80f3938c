package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {

    @Test
    void sizesAreBytesOrBinaryUnitsInAnyCase() {
        assertThat(Units.parseSize("4096")).isEqualTo(4096);
        assertThat(Units.parseSize("1k")).isEqualTo(1024);
        assertThat(Units.parseSize("128m")).isEqualTo(128L * 1024 * 1024);
        assertThat(Units.parseSize("128M")).isEqualTo(128L * 1024 * 1024);
        assertThat(Units.parseSize("2G")).isEqualTo(2L * 1024 * 1024 * 1024);
        assertThat(Units.parseSize("1t")).isEqualTo(1L << 40);
        assertThat(Units.parseSize("128Mi")).isEqualTo(128L << 20);
        assertThat(Units.parseSize("128MiB")).isEqualTo(128L << 20);
        assertThat(Units.parseSize("128mb")).isEqualTo(128L << 20);
        assertThat(Units.parseSize("128 m")).isEqualTo(128L << 20);
        assertThat(Units.parseSize("512b")).isEqualTo(512);
    }

    @ParameterizedTest
    @ValueSource(strings = {"12x", "", "m", "1.5m", "-1m", "1ib", "1mm", "1p", "0x10", "1 000"})
    void malformedSizesAreRejectedWithAnExample(String text) {
        assertThatThrownBy(() -> Units.parseSize(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m"
                        + " (binary: 128m is 128 MiB)");
    }

    @Test
    void zeroAndHugeSizesAreRejected() {
        assertThatThrownBy(() -> Units.parseSize("0")).hasMessageContaining("more than 0");
        assertThatThrownBy(() -> Units.parseSize("9999999999g")).hasMessageContaining("too large");
        assertThatThrownBy(() -> Units.parseSize("99999999999999999999")).hasMessageContaining("too large");
    }

    @Test
    void durationsHaveUnitsAndPlainNumbersAreSeconds() {
        assertThat(Units.parseDuration("10")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Units.parseDuration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Units.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Units.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Units.parseDuration("1H")).isEqualTo(Duration.ofHours(1));
        assertThat(Units.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10x", "", "s", "-1s", "1d", "ten", "1.s"})
    void malformedDurationsAreRejectedWithAnExample(String text) {
        assertThatThrownBy(() -> Units.parseDuration(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a duration: use a number with ms, s, m or h, e.g. 10s");
    }

    @Test
    void durationsBelowAMillisecondAreRejected() {
        assertThat(Units.parseDuration("0")).isEqualTo(Duration.ZERO);
        assertThat(Units.parseDuration("0s")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Units.parseDuration("0.5ms")).hasMessageContaining("0 or at least 1ms");
    }

    @Test
    void cpusBecomeThousandthsOfACore() {
        assertThat(Units.parseCpus("0.5")).isEqualTo(500);
        assertThat(Units.parseCpus("2")).isEqualTo(2000);
        assertThat(Units.parseCpus(".25")).isEqualTo(250);
        assertThat(Units.parseCpus("0.001")).isEqualTo(1);
    }

    @Test
    void cpusMustBePositiveDecimals() {
        assertThatThrownBy(() -> Units.parseCpus("0")).hasMessageContaining("at least 0.001");
        assertThatThrownBy(() -> Units.parseCpus("0.0001")).hasMessageContaining("at least 0.001");
        assertThatThrownBy(() -> Units.parseCpus("-1")).hasMessageContaining("is not a number of CPUs");
        assertThatThrownBy(() -> Units.parseCpus("half")).hasMessageContaining("is not a number of CPUs");
        assertThatThrownBy(() -> Units.parseCpus("9999999999")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Units.parseCpus("1000.001")).hasMessageContaining("0.001 to 1000");
        assertThat(Units.parseCpus("1000")).isEqualTo(1_000_000);
        assertThatThrownBy(() -> Units.cpuMillis(new java.math.BigDecimal("-0.5"))).hasMessageContaining("at least 0.001");
        assertThatThrownBy(() -> Units.cpuMillis(new java.math.BigDecimal("0.0015"))).hasMessageContaining("at most 3 decimals");
    }
}
