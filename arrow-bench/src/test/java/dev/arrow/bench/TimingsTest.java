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

    @Test
    void theMedianOfAnOddAndOfAnEvenNumberOfRounds() {
        assertThat(Timings.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(Timings.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Timings.median(new double[] {7})).isEqualTo(7);
    }

    @Test
    void aRatioIsTakenWithinEachRoundNotBetweenTheMediansOfRounds() {
        // The machine slowed in the second round: both loads fell, their ratio did not.
        double[] direct = {20000, 10000, 15000};
        double[] gateway = {8000, 6000, 9000};
        assertThat(Timings.medianRatio(gateway, direct)).isCloseTo(0.6, within(1e-9));
        // Taken between the rounds' medians, the same figures would say 53%.
        assertThat(Timings.median(gateway) / Timings.median(direct)).isCloseTo(0.533, within(1e-3));
        assertThat(Timings.eachRound(gateway, direct)).isEqualTo(", rounds 40, 60, 60%");
        assertThat(Timings.eachRound(new double[] {1}, new double[] {2})).isEmpty();
    }
}
