package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code arrow run}'s options as the native helper's run mode reads them (what {@code ./arrow run}
 * execs): every kind of bad value, each option's effect on the sandbox, the --stats line as
 * {@link SandboxResult#toJson()} writes it, and how the run ends with its parent or a SIGTERM.
 */
class RunOptionsIT {

    private static final Path HELPER = Path.of(System.getProperty("arrow.helper",
            Path.of("..", "native", "target", "arrow-sandbox-helper").toString())).toAbsolutePath();
    private static final String HINT = "Try 'arrow run --help' for more information.\n";
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    record Run(int status, String stdout, String stderr) {
        String lastLine() {
            String[] lines = stderr.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    private static Run run(Path dir, Map<String, String> env, List<String> args) throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of(HELPER.toString(), "run"));
        command.addAll(args);
        var builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        builder.environment().putAll(env);
        Process process = builder.start();
        var err = new StringBuilder();
        Thread stderr = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended; what was read is kept
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the helper finished").isTrue();
        stderr.join();
        return new Run(process.exitValue(), out, err.toString());
    }

    private static Run run(String... args) throws IOException, InterruptedException {
        return run(null, Map.of(), List.of(args));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '"', textBlock = """
            --stats --memory 12x -- /bin/true     => invalid value for option '--memory': '12x' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
            --memory 12x -- /bin/true             => invalid value for option '--memory': '12x' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
            --memory 1p -- /bin/true              => invalid value for option '--memory': '1p' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
            --memory 128mbi -- /bin/true          => invalid value for option '--memory': '128mbi' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
            --memory 2000t -- /bin/true           => invalid value for option '--memory': '2000t' must be from 1m to 1048576g
            --memory=1.5g -- /bin/true            => invalid value for option '--memory': '1.5g' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
            --memory 0 -- /bin/true               => invalid value for option '--memory': a size must be more than 0, not '0'
            --memory 9999999999g -- /bin/true     => invalid value for option '--memory': the size '9999999999g' is too large
            --memory 100 -- /bin/true             => invalid value for option '--memory': '100' must be from 1m to 1048576g
            --memory 1048577g -- /bin/true        => invalid value for option '--memory': '1048577g' must be from 1m to 1048576g
            --tmpfs-size 1k -- /bin/true          => invalid value for option '--tmpfs-size': '1k' must be from 4k to 1024g
            --tmpfs-size -5 -- /bin/true          => invalid value for option '--tmpfs-size': '-5' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
            --cpus -1 -- /bin/true                => invalid value for option '--cpus': '-1' is not a number of CPUs: use a decimal, e.g. 0.5
            --cpus 5. -- /bin/true                => invalid value for option '--cpus': '5.' is not a number of CPUs: use a decimal, e.g. 0.5
            --cpus 0 -- /bin/true                 => invalid value for option '--cpus': CPUs must be at least 0.001, not '0'
            --cpus 0.0001 -- /bin/true            => invalid value for option '--cpus': CPUs must be at least 0.001, not '0.0001'
            --cpus 0.005 -- /bin/true             => invalid value for option '--cpus': '0.005' must be from 0.01 to 1024
            --cpus 1025 -- /bin/true              => invalid value for option '--cpus': CPUs must be 0.001 to 1000 with at most 3 decimals, not '1025'
            --timeout soon -- /bin/true           => invalid value for option '--timeout': 'soon' is not a duration: use a number with ms, s, m or h, e.g. 10s
            --timeout 1d -- /bin/true             => invalid value for option '--timeout': '1d' is not a duration: use a number with ms, s, m or h, e.g. 10s
            --timeout .5s -- /bin/true            => invalid value for option '--timeout': '.5s' is not a duration: use a number with ms, s, m or h, e.g. 10s
            --timeout 0 -- /bin/true              => invalid value for option '--timeout': '0' must be from 1ms to 1099511627776ms
            --timeout 0.5ms -- /bin/true          => invalid value for option '--timeout': a duration must be 0 or at least 1ms, not '0.5ms'
            --timeout 0.0000000001s -- /bin/true  => invalid value for option '--timeout': the duration '0.0000000001s' is too long or too precise
            --timeout 99999999999h -- /bin/true   => invalid value for option '--timeout': the duration '99999999999h' is too long or too precise
            --timeout 400000h -- /bin/true        => invalid value for option '--timeout': '400000h' must be from 1ms to 1099511627776ms
            --pids 0 -- /bin/true                 => invalid value for option '--pids': '0' must be from 1 to 4194304
            --pids x -- /bin/true                 => invalid value for option '--pids': 'x' is not an int
            --pids 0x10 -- /bin/true              => invalid value for option '--pids': '0x10' is not an int
            --pids 99999999999 -- /bin/true       => invalid value for option '--pids': '99999999999' is not an int
            --nofile 4 -- /bin/true               => invalid value for option '--nofile': '4' must be from 8 to 1048576
            --user abc -- /bin/true               => invalid value for option '--user': 'abc' is not UID[:GID], e.g. 1000 or 1000:100
            --user 1234567890 -- /bin/true        => invalid value for option '--user': '1234567890' is not UID[:GID], e.g. 1000 or 1000:100
            --user 1000: -- /bin/true             => invalid value for option '--user': '1000:' is not UID[:GID], e.g. 1000 or 1000:100
            --env =x -- /bin/true                 => invalid value for option '--env' (NAME=VALUE): '=x' is not NAME=VALUE
            --env x -- /bin/true                  => invalid value for option '--env' (NAME=VALUE): 'x' is not NAME=VALUE
            --network maybe -- /bin/true          => invalid value for option '--network': expected one of [NONE, HOST] (case-insensitive) but was 'maybe'
            --isolation jail -- /bin/true         => invalid value for option '--isolation': expected one of [PROCESS, VM] (case-insensitive) but was 'jail'
            --isolation vm -- /bin/true           => --isolation vm runs in the JVM CLI, not in the helper: use ./arrow run --isolation vm
            --isolation=VM -- /bin/true           => --isolation vm runs in the JVM CLI, not in the helper: use ./arrow run --isolation vm
            --workdir rel -- /bin/true            => invalid value for option '--workdir': 'rel' is not an absolute path
            --mount /tmp -- /bin/true             => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): '/tmp' is not a mount: use HOST:SANDBOX[:rw|:ro]
            --mount /tmp:/d:rw:x -- /bin/true     => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): '/tmp:/d:rw:x' is not a mount: use HOST:SANDBOX[:rw|:ro]
            --mount :/d -- /bin/true              => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): ':/d' is not a mount: use HOST:SANDBOX[:rw|:ro]
            --mount /tmp:/data:RW -- /bin/true    => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount mode 'RW' in '/tmp:/data:RW' must be rw or ro
            --mount /no/such/dir:/d -- /bin/true  => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount source /no/such/dir does not exist
            --mount /tmp:data -- /bin/true        => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount target 'data' must be an absolute path
            --mount /tmp:/a/../b -- /bin/true     => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount target must not contain '..': /a/../b
            --mount /tmp:/a/./b -- /bin/true      => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount target '/a/./b' must be an absolute path without '.' or '..'
            --mount /tmp:/usr/x -- /bin/true      => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount target '/usr/x' is inside a directory the sandbox reserves
            --mount /dev/null:/x -- /bin/true     => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount source '/dev/null' is neither a file nor a directory
            --mount /tmp:/d --mount /usr:/d -- /bin/true => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): two mounts at /d
            --memory 1m --memory 2m -- /bin/true  => option '--memory' (SIZE) should be specified only once
            --stats --stats -- /bin/true          => option '--stats' should be specified only once
            --stats=yes -- /bin/true              => invalid value for option '--stats': 'yes' is not a boolean
            --memory                              => missing required parameter for option '--memory' (SIZE)
            --memory --stats -- /bin/true         => expected parameter for option '--memory' but found '--stats'
            --env -- /bin/true                    => expected parameter for option '--env' but found '--'
            --no-such-option -- /bin/true         => unknown option: '--no-such-option'
            --memroy=1m -- /bin/true              => unknown option: '--memroy=1m'
            -x /bin/true                          => unknown option: '-x'
            --stats                               => missing required parameter: 'COMMAND'
            --stats --                            => missing required parameter: 'COMMAND'
            ""                                    => missing required parameter: 'COMMAND'
            """)
    void aBadOptionIsOneLineNamingItAHintAndStatus125(String args, String message) throws Exception {
        Run run = run(null, Map.of(), args.isBlank() ? List.of() : List.of(args.trim().split("\\s+")));
        assertThat(run.status()).isEqualTo(125);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr()).isEqualTo("arrow: " + message + "\n" + HINT);
    }

    @Test
    void aRelativeMountSourceIsTheWorkingDirectorysNormalized(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.txt"), "hello");
        Run missing = run(dir, Map.of(), List.of("--mount", "sub/../nosuch:/data", "--", "/bin/true"));
        assertThat(missing.stderr()).startsWith("arrow: invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): "
                + "mount source " + dir.toRealPath().resolve("nosuch") + " does not exist\n");
        Run found = run(dir, Map.of(), List.of("--mount", "./nosuch/../in.txt:/in.txt", "--", "/bin/cat", "/in.txt"));
        assertThat(found.stdout()).isEqualTo("hello");
        assertThat(found.status()).isZero();
    }

    @Test
    void isolationProcessIsTheHelpersOwnAndChangesNothing() throws Exception {
        Run run = run("--isolation", "process", "--", "/bin/sh", "-c", "echo hello; exit 3");
        assertThat(run.status()).isEqualTo(3);
        assertThat(run.stdout()).isEqualTo("hello\n");
        assertThat(run.stderr()).isEmpty();
    }

    @Test
    void helpAndVersion() throws Exception {
        for (String help : List.of("-h", "--help", "-hV")) {
            Run run = run("--memory", "1m", help, "--bogus");
            assertThat(run.status()).isZero();
            assertThat(run.stdout()).startsWith("Usage: arrow run [OPTIONS] [--] COMMAND [ARG...]\n")
                    .contains("--memory=SIZE", "--cpus=CPUS", "--pids=N", "--timeout=DURATION", "--tmpfs-size=SIZE",
                            "--mount=HOST:SANDBOX[:rw|:ro]", "--env=NAME=VALUE", "--workdir=DIR", "--network=none|host",
                            "--user=UID[:GID]", "--nofile=N", "--stats", "--isolation=process|vm", "-h, --help", "-V, --version")
                    .contains("  124    timed out (--timeout)\n", "  125    any other error: bad option, setup failure\n");
            assertThat(run.stderr()).isEmpty();
        }
        for (String version : List.of("-V", "--version")) {
            Run run = run(version);
            assertThat(run.status()).isZero();
            assertThat(run.stdout()).startsWith("arrow ").endsWith("\n");
        }
    }

    @Test
    void statsLinesAreSandboxResultsJson() throws Exception {
        Run exited = run("--stats", "--", "/bin/sh", "-c", "exit 3");
        assertThat(exited.status()).isEqualTo(3);
        assertThat(exited.stderr()).matches("\\{\"outcome\":\"exited\",\"exitCode\":3,\"wallMs\":\\d+\\.\\d{3},"
                + "\"cpuUserMs\":\\d+\\.\\d{3},\"cpuSystemMs\":\\d+\\.\\d{3},\"peakMemoryBytes\":[1-9]\\d*}\n");
        assertIsToJson(exited.stderr().strip());

        Run signaled = run("--stats=TRUE", "/bin/sh", "-c", "kill -TERM $$");
        assertThat(signaled.status()).isEqualTo(143);
        assertThat(signaled.lastLine()).startsWith("{\"outcome\":\"signaled\",\"signal\":15,\"wallMs\":");
        assertIsToJson(signaled.lastLine());

        Run timedOut = run("--timeout", "200ms", "--stats", "--", "/bin/sleep", "30");
        assertThat(timedOut.status()).isEqualTo(124);
        assertThat(timedOut.lastLine()).startsWith("{\"outcome\":\"timed-out\",\"wallMs\":");
        assertIsToJson(timedOut.lastLine());

        Run pids = run("--pids", "3", "--stats", "--", "/bin/sh", "-c", "for i in 1 2 3 4 5; do sleep 1 & done; wait");
        assertThat(pids.status()).isEqualTo(123);
        assertThat(pids.lastLine()).startsWith("{\"outcome\":\"pids-exhausted\",\"wallMs\":");
        assertIsToJson(pids.lastLine());

        // a detail that needs escaping: a quote, a backslash, a tab, another control character
        String name = "no-such \"cmd\"\\\t\u0001";
        Run missing = run("--stats", "--", name);
        assertThat(missing.status()).isEqualTo(127);
        assertThat(missing.stderr()).startsWith("arrow: " + name + ": command not found\n");
        assertThat(missing.lastLine()).startsWith("{\"outcome\":\"failed-to-start\",\"reason\":\"command-not-found\","
                + "\"detail\":\"no-such \\\"cmd\\\"\\\\\\t\\u0001: command not found\",\"wallMs\":");
        assertIsToJson(missing.lastLine());

        Run notExecutable = run("--stats", "--", "/etc/hostname");
        assertThat(notExecutable.status()).isEqualTo(126);
        assertIsToJson(notExecutable.lastLine());

        Run quiet = run("--stats=false", "--", "/bin/true");
        assertThat(quiet.stderr()).isEmpty();
    }

    @Test
    void optionsAfterTheCommandAreItsOwn() throws Exception {
        Run run = run("/bin/echo", "--stats", "--memory", "x");
        assertThat(run.status()).isZero();
        assertThat(run.stdout()).isEqualTo("--stats --memory x\n");
        assertThat(run.stderr()).isEmpty();
        Run dash = run("--", "--no-such-command");
        assertThat(dash.status()).isEqualTo(127);
        assertThat(dash.stderr()).isEqualTo("arrow: --no-such-command: command not found\n");
    }

    @Test
    void sizesDurationsAndCpusBecomeTheSandboxsLimits() throws Exception {
        assertThat(limits("--memory", "64m")).isEqualTo(new CgroupLimits(64L << 20, -1, -1));
        assertThat(limits("--memory=65536K", "--cpus", "0.5", "--pids", "7")).isEqualTo(new CgroupLimits(64L << 20, 50_000, 7));
        assertThat(limits("--memory", " 67108864 ", "--cpus", ".25", "--pids", "+010"))
                .isEqualTo(new CgroupLimits(64L << 20, 25_000, 10));
        assertThat(limits("--memory", "1G", "--cpus=2")).isEqualTo(new CgroupLimits(1L << 30, 200_000, -1));

        String size = "df -B1 --output=size $0 | tail -n 1 | tr -d ' '";
        assertThat(run("--tmpfs-size", "8m", "--", "/bin/sh", "-c", size, "/tmp").stdout()).isEqualTo("8388608\n");
        assertThat(run("--tmpfs-size=4096k", "--", "/bin/sh", "-c", size, "/dev/shm").stdout()).isEqualTo("4194304\n");
        assertThat(run("--", "/bin/sh", "-c", size, "/tmp").stdout()).isEqualTo((64 << 20) + "\n");
        assertThat(run("--nofile", "100", "--", "/bin/sh", "-c", "ulimit -n").stdout()).isEqualTo("100\n");

        // a plain number is seconds, a decimal is fine, the unit in any case
        for (String timeout : List.of("0.3", "300ms", "0.3S", "0.005m")) {
            Run run = run("--timeout", timeout, "--stats", "--", "/bin/sleep", "10");
            assertThat(run.status()).as(timeout).isEqualTo(124);
            double wallMs = JSON.readTree(run.lastLine()).path("wallMs").asDouble();
            assertThat(wallMs).as(timeout).isBetween(300.0, 5_000.0);
        }
        Run finished = run("--timeout", "1", "--", "/bin/sleep", "0.5");
        assertThat(finished.status()).as("0.5 s of sleep within a --timeout of 1 s").isZero();
    }

    @Test
    void mountsAreReadOnlyUnlessRw(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.txt"), "hello");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        for (String mode : List.of("", ":ro")) {
            Run readOnly = run("--mount", dir + ":/data" + mode, "--", "/bin/sh", "-c", "cat /data/in.txt; echo x > /data/out.txt");
            assertThat(readOnly.stdout()).isEqualTo("hello");
            assertThat(readOnly.status()).isNotZero();
            assertThat(dir.resolve("out.txt")).doesNotExist();
        }
        Run readWrite = run("--mount", dir + ":/data:rw", "--mount", "/etc/hostname:/host-name", "--",
                "/bin/sh", "-c", "echo x > /data/out.txt && cat /host-name");
        assertThat(readWrite.status()).isZero();
        assertThat(readWrite.stdout()).isEqualTo(Files.readString(Path.of("/etc/hostname")));
        assertThat(dir.resolve("out.txt")).hasContent("x");
    }

    @Test
    void userEnvWorkdirAndNetwork() throws Exception {
        assertThat(run("--", "/bin/sh", "-c", "echo $(id -u):$(id -g)").stdout()).isEqualTo("65534:65534\n");
        assertThat(run("--user", "1000", "--", "/bin/sh", "-c", "echo $(id -u):$(id -g)").stdout()).isEqualTo("1000:1000\n");
        assertThat(run("--user=01:100", "--", "/bin/sh", "-c", "echo $(id -u):$(id -g)").stdout()).isEqualTo("1:100\n");

        // PATH and HOME first, as SandboxSpec orders them; a name given again keeps its place
        Run env = run(null, Map.of("ARROW_IT_SECRET", "host-only"), List.of("--env", "A=1", "--env", "B=x=y",
                "--env", "A=3", "--env", "HOME=/data", "--env", "EMPTY=", "--", "/usr/bin/env"));
        assertThat(env.stdout()).isEqualTo("PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin\n"
                + "HOME=/data\nA=3\nB=x=y\nEMPTY=\n");

        assertThat(run("--workdir", "/tmp", "--", "/bin/pwd").stdout()).isEqualTo("/tmp\n");
        assertThat(run("--", "/bin/pwd").stdout()).isEqualTo("/\n");

        String interfaces = "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '";
        assertThat(run("--", "/bin/sh", "-c", interfaces).stdout()).isEqualTo("lo ");
        assertThat(run("--network", "none", "--", "/bin/sh", "-c", interfaces).stdout()).isEqualTo("lo ");
        assertThat(run("--network=HOST", "--", "/bin/sh", "-c", interfaces).stdout()).isNotEqualTo("lo ").contains("lo ");
    }

    @Test
    void aSigtermEndsTheSandboxAndTheHelperByIt() throws Exception {
        Process process = new ProcessBuilder(HELPER.toString(), "run", "--stats", "--", "/bin/sh", "-c", "echo ready; exec sleep 30")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("ready");
        // not Process.destroy(), which closes the streams this test still reads
        assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).start().waitFor()).isZero();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(128 + 15);
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(stderr).startsWith("{\"outcome\":\"signaled\",\"signal\":9,");
    }

    @Test
    void withDieWithParentTheSandboxEndsWithItsParent() throws Exception {
        // The parent, a shell, starts the helper and dies by SIGKILL: the helper sees it and ends.
        long helper = startInShellThatDies("--die-with-parent", "run", "--", "/bin/sleep", "30");
        assertThat(awaitGone(helper, Duration.ofSeconds(10))).as("the helper ended with its parent").isTrue();
    }

    @Test
    void withoutItTheRunOutlivesItsParentAsAnyCommandDoes() throws Exception {
        long helper = startInShellThatDies("run", "--", "/bin/sleep", "1");
        Thread.sleep(300);
        assertThat(isRunning(helper)).as("still running").isTrue();
        assertThat(awaitGone(helper, Duration.ofSeconds(10))).as("the helper ended with its program").isTrue();
    }

    /** The helper's pid, started in the background by a shell that then kills itself. */
    private static long startInShellThatDies(String... helperArgs) throws Exception {
        var script = new StringBuilder("'").append(HELPER).append("'");
        for (String arg : helperArgs) {
            script.append(" '").append(arg).append("'");
        }
        script.append(" </dev/null >/dev/null 2>&1 & echo $!; sleep 0.3; kill -KILL $$");
        Process shell = new ProcessBuilder("/bin/sh", "-c", script.toString()).start();
        String pid = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(shell.exitValue()).isEqualTo(128 + 9);
        return Long.parseLong(pid.strip());
    }

    private static boolean awaitGone(long pid, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (!isRunning(pid)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Whether the process runs; a zombie does not (orphans here may wait long for their reaping). */
    private static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** The --stats line is byte for byte what SandboxResult.toJson makes of its own values. */
    private static void assertIsToJson(String line) throws IOException {
        JsonNode stats = JSON.readTree(line);
        Outcome outcome = switch (stats.path("outcome").asText()) {
            case "exited" -> new Outcome.Exited(stats.path("exitCode").asInt());
            case "signaled" -> new Outcome.Signaled(stats.path("signal").asInt());
            case "out-of-memory" -> new Outcome.OutOfMemory();
            case "timed-out" -> new Outcome.TimedOut();
            case "pids-exhausted" -> new Outcome.PidsExhausted();
            case "failed-to-start" -> new Outcome.FailedToStart(stats.path("reason").asText(), stats.path("detail").asText());
            default -> throw new AssertionError("unknown outcome in " + line);
        };
        var result = new SandboxResult(outcome, millis(stats, "wallMs"), millis(stats, "cpuUserMs"),
                millis(stats, "cpuSystemMs"), stats.path("peakMemoryBytes").asLong());
        assertThat(line).isEqualTo(result.toJson());
    }

    private static Duration millis(JsonNode stats, String field) {
        return Duration.ofNanos(stats.path(field).decimalValue().movePointRight(6).longValueExact());
    }

    /** Memory bytes, CPU quota (µs per 100 ms) and pids of a sandbox's cgroup; -1: no limit. */
    record CgroupLimits(long memoryBytes, long cpuQuotaMicros, long pids) {}

    /**
     * The limits a run with {@code options} puts on its cgroup, read from the host while its program
     * runs (under a cgroup root of this test's own, ARROW_CGROUP_ROOT).
     */
    private static CgroupLimits limits(String... options) throws Exception {
        String root = "arrow-it-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        var command = new ArrayList<>(List.of(HELPER.toString(), "run"));
        command.addAll(List.of(options));
        command.addAll(List.of("--", "/bin/sh", "-c", "echo ready; exec sleep 30"));
        var builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("ARROW_CGROUP_ROOT", root);
        Process process = builder.start();
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        try {
            var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("ready");
            if (v2) {
                Path group = only(Path.of("/sys/fs/cgroup", root));
                return new CgroupLimits(number(group.resolve("memory.max")),
                        number(group.resolve("cpu.max")), minusInit(number(group.resolve("pids.max"))));
            }
            return new CgroupLimits(
                    limitV1(Path.of("/sys/fs/cgroup/memory", root), "memory.limit_in_bytes", Long.MAX_VALUE / 4096 * 4096),
                    limitV1(Path.of("/sys/fs/cgroup/cpu", root), "cpu.cfs_quota_us", -1),
                    minusInit(limitV1(Path.of("/sys/fs/cgroup/pids", root), "pids.max", -1)));
        } finally {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
            for (Path dir : v2 ? List.of(Path.of("/sys/fs/cgroup", root))
                    : List.of(Path.of("/sys/fs/cgroup/memory", root), Path.of("/sys/fs/cgroup/cpu", root),
                            Path.of("/sys/fs/cgroup/pids", root))) {
                Files.deleteIfExists(dir);
            }
        }
    }

    /** A v1 hierarchy's value, -1 when its cgroup was not made (no such limit) or holds {@code none}. */
    private static long limitV1(Path root, String file, long none) throws IOException {
        if (!Files.isDirectory(root)) {
            return -1;
        }
        long value = number(only(root).resolve(file));
        return value == none ? -1 : value;
    }

    private static long minusInit(long pidsMax) {
        return pidsMax < 0 ? pidsMax : pidsMax - 1; // the helper allows one more: the sandbox's own init
    }

    private static Path only(Path root) throws IOException {
        try (Stream<Path> children = Files.list(root)) {
            List<Path> groups = children.filter(Files::isDirectory).toList();
            assertThat(groups).as("cgroups under " + root).hasSize(1);
            return groups.getFirst();
        }
    }

    private static long number(Path file) throws IOException {
        if (!Files.exists(file)) {
            return -1;
        }
        String word = Files.readString(file).strip().split(" ")[0];
        return word.equals("max") ? -1 : Long.parseLong(word);
    }
}
