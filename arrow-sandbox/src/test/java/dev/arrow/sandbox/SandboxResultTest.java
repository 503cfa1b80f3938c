package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SandboxResultTest {

    @Test
    void exitedLineHasExitCodeAndMillisecondsWithThreeDecimals() {
        var result = new SandboxResult(new Outcome.Exited(0),
                Duration.ofNanos(2_417_300), Duration.ofNanos(512_000), Duration.ofMillis(1), 401_408);

        assertThat(result.toJson()).isEqualTo("{\"outcome\":\"exited\",\"exitCode\":0,\"wallMs\":2.417,"
                + "\"cpuUserMs\":0.512,\"cpuSystemMs\":1.000,\"peakMemoryBytes\":401408}");
    }

    @Test
    void signaledLineHasTheSignal() {
        var result = new SandboxResult(new Outcome.Signaled(9), Duration.ofSeconds(2), Duration.ZERO, Duration.ZERO, 0);

        assertThat(result.toJson()).isEqualTo("{\"outcome\":\"signaled\",\"signal\":9,\"wallMs\":2000.000,"
                + "\"cpuUserMs\":0.000,\"cpuSystemMs\":0.000,\"peakMemoryBytes\":0}");
    }

    @Test
    void limitOutcomesHaveNoCode() {
        var result = new SandboxResult(new Outcome.TimedOut(), Duration.ofNanos(1_500), Duration.ZERO, Duration.ZERO, 7);

        assertThat(result.toJson()).isEqualTo("{\"outcome\":\"timed-out\",\"wallMs\":0.002,"
                + "\"cpuUserMs\":0.000,\"cpuSystemMs\":0.000,\"peakMemoryBytes\":7}");
    }

    @Test
    void failedToStartLineHasReasonAndEscapedDetail() {
        var result = new SandboxResult(new Outcome.FailedToStart("command-not-found", "no \"foo\" on PATH"),
                Duration.ZERO, Duration.ZERO, Duration.ZERO, 0);

        assertThat(result.toJson()).isEqualTo("{\"outcome\":\"failed-to-start\",\"reason\":\"command-not-found\","
                + "\"detail\":\"no \\\"foo\\\" on PATH\",\"wallMs\":0.000,\"cpuUserMs\":0.000,\"cpuSystemMs\":0.000,"
                + "\"peakMemoryBytes\":0}");
    }
}
