package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class FlowsBenchmarkTest {

    @Test
    void theOverheadPerStepIsTheFlowsTimeOverTheLoopsSharedByItsSteps() {
        assertThat(FlowsBenchmark.perStepMillis(25.0, 10.0, 10)).isCloseTo(1.5, within(1e-9));
        // A flow faster than the loop is a negative overhead, not hidden.
        assertThat(FlowsBenchmark.perStepMillis(9.0, 10.0, 4)).isCloseTo(-0.25, within(1e-9));
        assertThatThrownBy(() -> FlowsBenchmark.perStepMillis(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eachRoundsOverheadIsTakenWithinTheRoundAndTheirMedianGiven() {
        // The machine slowed in the second round: both ways slowed, the overhead per step less so.
        double[] flow = {30.0, 60.0, 32.0};
        double[] loop = {10.0, 30.0, 11.0};
        assertThat(FlowsBenchmark.medianPerStepMillis(flow, loop, 10)).isCloseTo(2.1, within(1e-9));
        assertThat(FlowsBenchmark.eachRound(flow, loop, 10)).isEqualTo("2.00, 3.00, 2.10 ms");
    }

    @Test
    void whatTheStepsAddBeyondTheRunAndTheInvocationPathIsTakenWithinEachRound() {
        double[] flow = {30.0, 50.0, 31.0};
        double[] set = {2.0, 4.0, 3.0};
        double[] invoke = {20.0, 30.0, 22.0};
        // Rounds: (30-2-20)/10 = 0.8, (50-4-30)/10 = 1.6, (31-3-22)/10 = 0.6.
        assertThat(FlowsBenchmark.medianBeyondMillis(flow, set, invoke, 10)).isCloseTo(0.8, within(1e-9));
    }

    @Test
    void theStepsFlowCallsEachArrowInOrder() {
        String yaml = FlowsBenchmark.stepsFlow("bench-steps", FlowsBenchmark.arrowNames(3));

        assertThat(yaml).contains("name: bench-steps\n", "dsl: '1.0.0'");
        assertThat(yaml.split("call: arrow", -1)).hasSize(4);
        assertThat(yaml.indexOf("name: bench-step-0\n")).isLessThan(yaml.indexOf("name: bench-step-1\n"));
        assertThat(yaml.indexOf("name: bench-step-1\n")).isLessThan(yaml.indexOf("name: bench-step-2\n"));
        assertThat(FlowsBenchmark.arrowNames(2)).isEqualTo(List.of("bench-step-0", "bench-step-1"));
        assertThat(FlowsBenchmark.setFlow("bench-set")).contains("name: bench-set\n", "set:").doesNotContain("call:");
    }
}
