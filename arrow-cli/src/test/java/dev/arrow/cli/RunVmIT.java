package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.sandbox.vm.VmDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code arrow run --isolation vm} through the packaged jar, as a user runs it: a real microVM
 * (qemu, virtiofsd, the host's stock kernel; TCG where there is no KVM), so seconds per run.
 */
class RunVmIT {

    private static final Path JAR = Path.of("target", "arrow.jar").toAbsolutePath();
    private static final Path HELPER = Path.of(System.getProperty("arrow.helper",
            Path.of("..", "native", "target", "arrow-sandbox-helper").toString())).toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    record Run(int status, String stdout, String stderr) {
        JsonNode stats() throws IOException {
            String[] lines = stderr.strip().split("\n");
            return JSON.readTree(lines[lines.length - 1]);
        }
    }

    @BeforeAll
    static void theVmTierIsHere() {
        var missing = VmDriver.unavailableReason();
        missing.ifPresent(reason -> System.err.println("RunVmIT skipped: " + reason));
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElseThrow());
    }

    private static Run arrow(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Darrow.helper=" + HELPER, "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        try (var in = process.getOutputStream()) {
            in.write("from stdin\n".getBytes(StandardCharsets.UTF_8));
        }
        var err = new StringBuilder();
        Thread stderr = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended; what was read is kept
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        stderr.join();
        return new Run(process.exitValue(), out, err.toString());
    }

    @Test
    void stdioExitStatusAndStatsComeBackFromTheVm() throws Exception {
        Run run = arrow("run", "--isolation", "vm", "--stats", "--memory", "256m", "--env", "GREETING=hello",
                "--", "sh", "-c", "cat; echo \"$GREETING\"; echo oops >&2; exit 3");

        assertThat(run.status()).as(run.stderr()).isEqualTo(3);
        assertThat(run.stdout()).isEqualTo("from stdin\nhello\n");
        assertThat(run.stderr()).startsWith("oops\n");
        JsonNode stats = run.stats();
        assertThat(stats.path("outcome").asText()).isEqualTo("exited");
        assertThat(stats.path("exitCode").asInt()).isEqualTo(3);
        assertThat(stats.path("isolation").asText()).isEqualTo("vm");
        assertThat(stats.path("accelerator").asText()).isIn("tcg", "kvm");
        assertThat(stats.has("wallMs")).isTrue();
    }

    @Test
    void aTimeoutKillsTheVmWith124() throws Exception {
        Run run = arrow("run", "--isolation=vm", "--timeout", "2s", "--stats", "--", "sleep", "30");

        assertThat(run.status()).as(run.stderr()).isEqualTo(124);
        assertThat(run.stats().path("outcome").asText()).isEqualTo("timed-out");
    }

    @Test
    void ctrlCReachesTheProgramInTheGuest() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Darrow.helper=" + HELPER, "-jar", JAR.toString(), "run", "--isolation", "vm", "--",
                "sh", "-c", "trap 'echo caught; exit 7' INT; echo waiting; while :; do sleep 0.1; done")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            process.getOutputStream().close();
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("waiting");

            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();

            assertThat(out.readLine()).isEqualTo("caught");
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(7);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aCommandNotFoundIs127() throws Exception {
        Run run = arrow("run", "--isolation", "vm", "--", "no-such-command-anywhere");

        assertThat(run.status()).as(run.stderr()).isEqualTo(127);
        assertThat(run.stderr()).contains("no-such-command-anywhere");
    }

    @Test
    void whatTheVmTierCannotHonourIsAUsageErrorBeforeAnyVmStarts() throws Exception {
        Run run = arrow("run", "--isolation", "vm", "--pids", "10", "--", "true");

        assertThat(run.status()).isEqualTo(125);
        assertThat(run.stderr()).startsWith("arrow: option '--pids' is not available with --isolation vm")
                .endsWith("Try 'arrow run --help' for more information.\n");
    }
}
