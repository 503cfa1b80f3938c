package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The packaged {@code arrow.jar} run as a user runs it: a separate JVM, real sandboxes. */
class RunCommandIT {

    private static final Path JAR = Path.of("target", "arrow.jar").toAbsolutePath();
    private static final Path HELPER = Path.of("..", "native", "target", "arrow-sandbox-helper").toAbsolutePath();

    record Run(int status, String stdout, String stderr) {}

    private static Run arrowWithStdin(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Darrow.helper=" + HELPER, "-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("ARROW_IT_SECRET", "host-only-value");
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        // Read both pipes concurrently so a chatty program cannot block on a full pipe.
        var errText = new StringBuilder();
        Thread stderr = Thread.ofVirtual().start(() -> {
            try {
                errText.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended; what was read is kept
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("arrow finished").isTrue();
        stderr.join();
        return new Run(process.exitValue(), out, errText.toString());
    }

    private static Run arrow(String... args) throws IOException, InterruptedException {
        return arrowWithStdin("", args);
    }

    @Test
    void passesStdioThroughAndExitsWithTheProgramsStatus() throws Exception {
        Run run = arrowWithStdin("from stdin\n", "run", "--", "/bin/sh", "-c",
                "cat; echo to-out; echo to-err >&2; exit 3");
        assertThat(run.status()).isEqualTo(3);
        assertThat(run.stdout()).isEqualTo("from stdin\nto-out\n");
        assertThat(run.stderr()).isEqualTo("to-err\n");
    }

    @Test
    void signalDeathIs128PlusTheSignal() throws Exception {
        assertThat(arrow("run", "--", "/bin/sh", "-c", "kill -KILL $$").status()).isEqualTo(137);
        assertThat(arrow("run", "--", "/bin/sh", "-c", "kill -TERM $$").status()).isEqualTo(143);
    }

    @Test
    void timeoutIs124AndStatsSayWhy() throws Exception {
        Run run = arrow("run", "--timeout", "300ms", "--stats", "--", "/bin/sleep", "30");
        assertThat(run.status()).isEqualTo(124);
        JsonNode stats = lastJsonLine(run.stderr());
        assertThat(stats.path("outcome").asText()).isEqualTo("timed-out");
    }

    @Test
    void outOfMemoryIs137WithItsOwnOutcome() throws Exception {
        Run run = arrow("run", "--memory", "32m", "--stats", "--", "/usr/bin/python3", "-c",
                "x = bytearray(256 * 1024 * 1024)");
        assertThat(run.status()).isEqualTo(137);
        assertThat(lastJsonLine(run.stderr()).path("outcome").asText()).isEqualTo("out-of-memory");
    }

    @Test
    void missingCommandIs127AndNotExecutableIs126() throws Exception {
        Run missing = arrow("run", "--", "no-such-command-anywhere");
        assertThat(missing.status()).isEqualTo(127);
        assertThat(missing.stderr()).contains("no-such-command-anywhere");
        Run notExecutable = arrow("run", "--", "/etc/hostname");
        assertThat(notExecutable.status()).isEqualTo(126);
    }

    @Test
    void statsIsOneJsonLineWithTimesMemoryAndOutcome() throws Exception {
        Run run = arrow("run", "--stats", "--", "/bin/true");
        assertThat(run.status()).isZero();
        JsonNode stats = lastJsonLine(run.stderr());
        assertThat(stats.path("outcome").asText()).isEqualTo("exited");
        assertThat(stats.path("exitCode").asInt(-1)).isZero();
        assertThat(stats.path("wallMs").asDouble()).isPositive();
        assertThat(stats.path("cpuUserMs").isNumber()).isTrue();
        assertThat(stats.path("cpuSystemMs").isNumber()).isTrue();
        assertThat(stats.path("peakMemoryBytes").asLong()).isPositive();
    }

    @Test
    void mountsAreReadOnlyUnlessRw(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.txt"), "hello");
        // The sandbox runs as 65534: let it write into the rw mount.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Run readOnly = arrow("run", "--mount", dir + ":/data", "--", "/bin/sh", "-c",
                "cat /data/in.txt; echo x > /data/out.txt");
        assertThat(readOnly.stdout()).isEqualTo("hello");
        assertThat(readOnly.status()).isNotZero();
        assertThat(dir.resolve("out.txt")).doesNotExist();

        Run readWrite = arrow("run", "--mount", dir + ":/data:rw", "--", "/bin/sh", "-c", "echo x > /data/out.txt");
        assertThat(readWrite.status()).isZero();
        assertThat(dir.resolve("out.txt")).hasContent("x");
    }

    @Test
    void onlyTheEnvironmentAskedForReachesTheProgram() throws Exception {
        Run run = arrow("run", "--env", "GREETING=hi there", "--workdir", "/tmp", "--", "/bin/sh", "-c",
                "env; pwd");
        assertThat(run.status()).isZero();
        assertThat(run.stdout()).contains("GREETING=hi there").contains("/tmp\n")
                .doesNotContain("ARROW_IT_SECRET").doesNotContain("host-only-value");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown option            | run --no-such-option -- /bin/true       | --no-such-option
            bad size                  | run --memory 12x -- /bin/true           | --memory
            bad cpus                  | run --cpus -1 -- /bin/true              | --cpus
            bad duration              | run --timeout soon -- /bin/true         | --timeout
            missing command           | run                                     | COMMAND
            missing mount source      | run --mount /no/such/dir:/data -- /bin/true | /no/such/dir
            relative mount target     | run --mount /tmp:data -- /bin/true      | data
            bad env                   | run --env =x -- /bin/true               | --env
            bad network               | run --network maybe -- /bin/true        | --network
            unknown subcommand        | frobnicate                              | frobnicate
            """)
    void badInputIsOneClearLineAndStatus125(String what, String args, String named) throws Exception {
        Run run = arrow(args.trim().split("\\s+"));
        assertThat(run.status()).as(what).isEqualTo(125);
        assertThat(run.stdout()).as(what).isEmpty();
        assertThat(run.stderr()).as(what).startsWith("arrow: ").contains(named)
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    private static JsonNode lastJsonLine(String stderr) throws IOException {
        String[] lines = stderr.strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }
}
