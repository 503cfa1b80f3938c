package dev.arrow.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxResult;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ResultParserTest {

    @Test
    void parsesTheReadmeExample() throws Exception {
        SandboxResult result = ResultParser.parse("{\"outcome\":\"exited\",\"exitCode\":0,\"signal\":0,"
                + "\"wallNanos\":1,\"cpuUserNanos\":2,\"cpuSystemNanos\":3,\"peakMemoryBytes\":4,"
                + "\"reason\":\"\",\"detail\":\"\"}");

        assertThat(result).isEqualTo(new SandboxResult(new Outcome.Exited(0),
                Duration.ofNanos(1), Duration.ofNanos(2), Duration.ofNanos(3), 4));
    }

    @Test
    void readsWhetherTheSandboxWasPrewarmed() throws Exception {
        String line = "{\"outcome\":\"exited\",\"exitCode\":0,\"setupNanos\":5,\"prewarmed\":%s}";
        assertThat(ResultParser.parse(line.formatted("true"))).isEqualTo(new SandboxResult(new Outcome.Exited(0),
                Duration.ZERO, Duration.ZERO, Duration.ZERO, 0, Duration.ofNanos(5), true));
        assertThat(ResultParser.parse(line.formatted("false")).prewarmed()).isFalse();
        assertThat(ResultParser.parse("{\"outcome\":\"exited\"}").prewarmed()).isFalse();
    }

    @Test
    void readsThePoolStats() throws Exception {
        assertThat(Spawner.parseStats("{\"target\":4,\"ready\":3,\"starting\":1,\"processes\":7,\"memoryBytes\":123456789012}"))
                .isEqualTo(new dev.arrow.sandbox.PrewarmStats(4, 3, 7, 123456789012L));
    }

    @Test
    void parsesEveryOutcome() throws Exception {
        assertThat(outcomeOf("{\"outcome\":\"exited\",\"exitCode\":42}")).isEqualTo(new Outcome.Exited(42));
        assertThat(outcomeOf("{\"outcome\":\"signaled\",\"exitCode\":0,\"signal\":11}"))
                .isEqualTo(new Outcome.Signaled(11));
        assertThat(outcomeOf("{\"outcome\":\"out-of-memory\"}")).isEqualTo(new Outcome.OutOfMemory());
        assertThat(outcomeOf("{\"outcome\":\"timed-out\"}")).isEqualTo(new Outcome.TimedOut());
        assertThat(outcomeOf("{\"outcome\":\"pids-exhausted\"}")).isEqualTo(new Outcome.PidsExhausted());
        assertThat(outcomeOf("{\"outcome\":\"failed-to-start\",\"reason\":\"command-not-found\","
                + "\"detail\":\"nope: not found\"}"))
                .isEqualTo(new Outcome.FailedToStart("command-not-found", "nope: not found"));
    }

    @Test
    void failedToStartWithoutReasonIsASetupFailure() throws Exception {
        assertThat(outcomeOf("{\"outcome\":\"failed-to-start\"}"))
                .isEqualTo(new Outcome.FailedToStart("setup-failed", ""));
    }

    @Test
    void skipsFieldsItDoesNotKnow() throws Exception {
        assertThat(outcomeOf("{\"version\":{\"major\":2},\"tags\":[1,2],\"outcome\":\"exited\",\"exitCode\":1}"))
                .isEqualTo(new Outcome.Exited(1));
    }

    @Test
    void rejectsWhatIsNotAResult() {
        assertThatThrownBy(() -> ResultParser.parse("[]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> ResultParser.parse("{\"exitCode\":1}")).hasMessageContaining("no outcome");
        assertThatThrownBy(() -> ResultParser.parse("{\"outcome\":\"vanished\"}"))
                .hasMessageContaining("unknown outcome 'vanished'");
        assertThatThrownBy(() -> ResultParser.parse("{\"outcome\":\"exited\",\"exitCode\":0"))
                .isInstanceOf(ResultParser.MalformedResultException.class);
        assertThatThrownBy(() -> ResultParser.parse("{\"outcome\":\"exited\",\"exitCode\":\"zero\"}"))
                .isInstanceOf(ResultParser.MalformedResultException.class);
    }

    private static Outcome outcomeOf(String line) throws Exception {
        return ResultParser.parse(line).outcome();
    }
}
