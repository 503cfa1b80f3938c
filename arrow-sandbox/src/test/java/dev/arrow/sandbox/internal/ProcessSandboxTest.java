package dev.arrow.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The driver's side of the protocol, against a fake helper script (fake-helper.sh). */
@Timeout(30)
class ProcessSandboxTest {

    @TempDir
    Path dir;

    private ProcessDriver driver;

    @BeforeEach
    void installFakeHelper() throws IOException {
        Path helper = dir.resolve("fake-helper");
        try (InputStream script = getClass().getResourceAsStream("fake-helper.sh")) {
            Files.write(helper, script.readAllBytes());
        }
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        driver = new ProcessDriver(helper, false); // the fake helper has no spawner mode (SpawnerIT covers it)
    }

    @Test
    void reportsTheHelpersResultAndDeletesItsFile() throws Exception {
        try (Sandbox sandbox = driver.start(SandboxSpec.builder("sh", "-c", "exit 3").build(), Stdio.DISCARD)) {
            SandboxResult result = sandbox.waitFor();

            assertThat(result.outcome()).isEqualTo(new Outcome.Exited(3));
            assertThat(result.wallTime()).isEqualTo(Duration.ofNanos(1000));
            assertThat(result.peakMemoryBytes()).isEqualTo(4096);
            assertThat(sandbox.waitFor()).isSameAs(result);
        }
        String call = calls();
        String resultFile = call.replaceAll(".*--result-file (\\S+) .*\\n", "$1");
        assertThat(Path.of(resultFile)).doesNotExist();
        assertThat(Path.of(resultFile).getParent()).isDirectory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(resultFile).getParent())))
                .isEqualTo("rwx------");
    }

    @Test
    void pipesTheProgramsOutput() throws Exception {
        try (Sandbox sandbox = driver.start(SandboxSpec.builder("sh", "-c", "cat; echo oops >&2").build(), Stdio.PIPE)) {
            sandbox.stdin().write("hello\n".getBytes(StandardCharsets.UTF_8));
            sandbox.stdin().close();

            assertThat(new String(sandbox.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
            assertThat(new String(sandbox.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
    }

    @Test
    void discardedStdioGivesNullStreams() throws Exception {
        try (Sandbox sandbox = driver.start(SandboxSpec.builder("echo", "lost").build(), Stdio.DISCARD)) {
            sandbox.stdin().write(1); // discarded, no error

            assertThat(sandbox.stdout().read()).isEqualTo(-1);
            assertThat(sandbox.stderr().read()).isEqualTo(-1);
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
    }

    @Test
    void helperThatDiesWithoutResultIsASetupFailureAndIsCleanedUp() throws Exception {
        try (Sandbox sandbox = driver.start(SandboxSpec.builder("fake:die").build(), Stdio.DISCARD)) {
            Outcome outcome = sandbox.waitFor().outcome();

            assertThat(outcome).isInstanceOfSatisfying(Outcome.FailedToStart.class, failed -> {
                assertThat(failed.reason()).isEqualTo("setup-failed");
                assertThat(failed.detail()).isEqualTo("the helper ended with status 137 and wrote no result");
            });
        }
        assertThat(calls()).containsPattern("--id (a[0-9a-f]{16}) .*\\n--cleanup \\1\\n");
    }

    @Test
    void unreadableResultIsASetupFailureAndIsCleanedUp() throws Exception {
        try (Sandbox sandbox = driver.start(SandboxSpec.builder("fake:garbage").build(), Stdio.DISCARD)) {
            Outcome outcome = sandbox.waitFor().outcome();

            assertThat(outcome).isInstanceOfSatisfying(Outcome.FailedToStart.class, failed ->
                    assertThat(failed.detail()).startsWith("unreadable result from the helper: "));
        }
        assertThat(calls()).contains("--cleanup a");
    }

    @Test
    void killEndsTheSandbox() throws Exception {
        try (Sandbox sandbox = driver.start(SandboxSpec.builder("sleep", "60").build(), Stdio.DISCARD)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("started")));

            sandbox.kill();

            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Signaled(9));
        }
    }

    @Test
    void closeKillsASandboxThatStillRuns() throws Exception {
        Sandbox sandbox = driver.start(SandboxSpec.builder("sleep", "60").build(), Stdio.DISCARD);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("started")));

        sandbox.close();

        assertThat(ProcessHandle.of(sandbox.pid())).isEmpty();
        assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Signaled(9));
    }

    private String calls() throws IOException {
        return Files.readString(dir.resolve("calls"));
    }
}
