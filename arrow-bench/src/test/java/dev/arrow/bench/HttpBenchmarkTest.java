package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class HttpBenchmarkTest {

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
        assertThat(HttpBenchmark.medianRatio(gateway, direct)).isCloseTo(0.6, within(1e-9));
        // Taken between the rounds' medians, the same figures would say 53%.
        assertThat(Timings.median(gateway) / Timings.median(direct)).isCloseTo(0.533, within(1e-3));
    }
}
