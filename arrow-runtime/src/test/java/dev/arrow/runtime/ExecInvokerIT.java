package dev.arrow.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandboxes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real sandboxes through the real helper. */
class ExecInvokerIT {

    private final ExecInvoker invoker = new ExecInvoker(Sandboxes.processDriver(), new OutputPolicy(1 << 20, 1024, 128));

    private static ExecTask task(String script) {
        return new ExecTask(List.of("/bin/sh", "-c", script), Map.of("GREETING", "hi"), Optional.empty(),
                Limits.DEFAULT.withMemoryBytes(64L << 20).withWallTime(Duration.ofSeconds(10)), NetworkPolicy.NONE);
    }

    @Test
    void inputGoesToStdinOutputComesFromStdoutLogFromStderr() throws Exception {
        ExecResult result = invoker.invoke(task("tr a-z A-Z; echo \"$GREETING\" >&2"), "hello".getBytes());
        assertThat(result.sandbox().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(new String(result.output(), StandardCharsets.UTF_8)).isEqualTo("HELLO");
        assertThat(result.log()).isEqualTo("hi\n");
        assertThat(result.sandbox().setupTime()).isPositive().isLessThan(result.sandbox().wallTime());
    }

    @Test
    void aProgramThatIgnoresALargeInputStillFinishes() throws Exception {
        ExecResult result = invoker.invoke(task("exit 3"), new byte[4 << 20]);
        assertThat(result.sandbox().outcome()).isEqualTo(new Outcome.Exited(3));
    }

    @Test
    void outputPastTheCapStopsTheSandbox() throws Exception {
        ExecResult result = invoker.invoke(task("yes"), new byte[0]);
        assertThat(result.outputTooLarge()).isTrue();
        assertThat(result.output()).isEmpty();
        assertThat(result.outputBytes()).isGreaterThan(1 << 20);
        assertThat(result.sandbox().outcome()).isNotInstanceOf(Outcome.TimedOut.class);
    }

    @Test
    void aLongLogKeepsHeadAndTail() throws Exception {
        ExecResult result = invoker.invoke(task("echo FIRST >&2; head -c 100000 /dev/zero | tr '\\0' x >&2; echo LAST >&2"),
                new byte[0]);
        assertThat(result.logTruncated()).isTrue();
        assertThat(result.logBytes()).isEqualTo(6 + 100_000 + 5);
        assertThat(result.log()).startsWith("FIRST\n").contains("[arrow: log truncated: ").endsWith("LAST\n");
        assertThat(result.stderrTail()).endsWith("LAST\n").hasSize(128);
    }

    @Test
    void codeIsReadOnlyAtCodeAndTheWorkingDirectory(@TempDir Path code) throws Exception {
        Files.writeString(code.resolve("main.sh"), "echo from-code; pwd; touch /code/x 2>/dev/null || echo read-only\n");
        code.toFile().setReadable(true, false);
        code.toFile().setExecutable(true, false);
        code.resolve("main.sh").toFile().setReadable(true, false);
        var task = new ExecTask(List.of("/bin/sh", "main.sh"), Map.of(), Optional.of(code), Limits.DEFAULT,
                NetworkPolicy.NONE);
        ExecResult result = invoker.invoke(task, new byte[0]);
        assertThat(new String(result.output(), StandardCharsets.UTF_8)).isEqualTo("from-code\n/code\nread-only\n");
    }

    @Test
    void timeoutIsAnOutcome() throws Exception {
        var task = new ExecTask(List.of("sleep", "30"), Map.of(), Optional.empty(),
                Limits.DEFAULT.withWallTime(Duration.ofMillis(200)), NetworkPolicy.NONE);
        assertThat(invoker.invoke(task, new byte[0]).sandbox().outcome()).isInstanceOf(Outcome.TimedOut.class);
    }
}
