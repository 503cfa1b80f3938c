package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class TimingsTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(new Timings(new long[] {3_000_000, 1_000_000, 2_000_000}).medianMillis()).isEqualTo(2.0);
        assertThat(new Timings(new long[] {4_000_000, 1_000_000, 2_000_000, 3_000_000}).medianMillis()).isEqualTo(2.5);
    }

    @Test
    void p99IsANearestRankValue() {
        long[] millis = LongStream.rangeClosed(1, 200).map(ms -> ms * 1_000_000).toArray();

        Timings timings = new Timings(millis);

        assertThat(timings.count()).isEqualTo(200);
        assertThat(timings.p99Millis()).isEqualTo(198.0);
        assertThat(timings.medianMillis()).isCloseTo(100.5, within(1e-9));
        assertThat(new Timings(new long[] {5_000_000}).p99Millis()).isEqualTo(5.0);
    }
}
