package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./arrow run} execs the helper's run mode before it looks for a JDK (in the launcher's POSIX
 * sh part, before bash starts), as long as the helper is newer than the native sources. Run on a copy of the launcher in a tree of its own whose
 * {@code scripts/jdk.sh} finds no JDK: whatever reaches the JVM's path fails with that message.
 */
class LauncherRunIT {

    private static final Path LAUNCHER = Path.of("..", "arrow").toAbsolutePath();
    private static final Path HELPER = Path.of(System.getProperty("arrow.helper",
            Path.of("..", "native", "target", "arrow-sandbox-helper").toString())).toAbsolutePath();
    private static final String NO_JDK = "arrow: (test) no JDK on this path";

    @TempDir
    Path tree;

    record Run(int status, String stdout, String stderr) {}

    @BeforeEach
    void aTreeWithAFreshHelper() throws IOException {
        Files.createDirectories(tree.resolve("scripts"));
        Files.createDirectories(tree.resolve("native/src"));
        Files.createDirectories(tree.resolve("native/target"));
        Files.copy(LAUNCHER, tree.resolve("arrow"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.writeString(tree.resolve("scripts/jdk.sh"),
                "arrow_find_jdk() { echo '" + NO_JDK + "' >&2; return 1; }\n");
        FileTime before = FileTime.from(Instant.now().minusSeconds(60));
        for (String source : List.of("native/src/main.c", "native/src/helper.h", "native/pom.xml")) {
            Files.writeString(tree.resolve(source), "");
            Files.setLastModifiedTime(tree.resolve(source), before);
        }
        Path helper = tree.resolve("native/target/arrow-sandbox-helper");
        Files.copy(HELPER, helper);
        Files.setLastModifiedTime(helper, FileTime.from(Instant.now()));
    }

    private static Run run(Path dir, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        var err = new StringBuilder();
        Thread stderr = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process ended; what was read is kept
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        stderr.join();
        return new Run(process.exitValue(), out, err.toString());
    }

    private Run arrow(String... args) throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of(tree.resolve("arrow").toString()));
        command.addAll(List.of(args));
        return run(tree, command.toArray(String[]::new));
    }

    @Test
    void runGoesToTheHelperWithoutAJdk() throws Exception {
        Run run = arrow("run", "--stats", "--", "/bin/sh", "-c", "echo hello; exit 4");
        assertThat(run.status()).isEqualTo(4);
        assertThat(run.stdout()).isEqualTo("hello\n");
        assertThat(run.stderr()).startsWith("{\"outcome\":\"exited\",\"exitCode\":4,").doesNotContain(NO_JDK);

        Run bad = arrow("run", "--cpus", "half", "--", "/bin/true");
        assertThat(bad.status()).isEqualTo(125);
        assertThat(bad.stderr()).isEqualTo("arrow: invalid value for option '--cpus': 'half' is not a number of CPUs: "
                + "use a decimal, e.g. 0.5\nTry 'arrow run --help' for more information.\n");

        Run help = arrow("run", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.stdout()).startsWith("Usage: arrow run ");
    }

    private Run arrowRun(List<String> words) throws IOException, InterruptedException {
        var args = new ArrayList<>(List.of("run"));
        args.addAll(words);
        return arrow(args.toArray(String[]::new));
    }

    @Test
    void isolationVmBeforeTheCommandTakesTheJvmsPath() throws Exception {
        for (List<String> words : List.of(List.of("--isolation", "vm", "--", "/bin/true"),
                List.of("--stats", "--memory", "1g", "--isolation=VM", "/bin/true"))) {
            Run run = arrowRun(words);
            assertThat(run.status()).as("%s", words).isEqualTo(125);
            assertThat(run.stderr()).as("%s", words).contains(NO_JDK);
        }
        // the word vm as another option's value, or after the command, is not an isolation
        for (List<String> words : List.of(List.of("--env", "--isolation", "--", "/bin/echo", "vm"),
                List.of("--isolation", "process", "--", "/bin/echo", "--isolation", "vm"),
                List.of("/bin/echo", "--isolation=vm"))) {
            Run run = arrowRun(words);
            assertThat(run.stderr()).as("%s", words).doesNotContain(NO_JDK);
        }
        assertThat(arrow("run", "--isolation", "process", "--", "/bin/echo", "hi").stdout()).isEqualTo("hi\n");
    }

    @Test
    void otherCommandsStillTakeTheJvmsPath() throws Exception {
        Run ls = arrow("ls");
        assertThat(ls.status()).isEqualTo(125);
        assertThat(ls.stderr()).contains(NO_JDK);
    }

    @Test
    void aHelperOlderThanANativeSourceIsBuiltFirst() throws Exception {
        Files.setLastModifiedTime(tree.resolve("native/src/helper.h"), FileTime.from(Instant.now().plusSeconds(5)));
        Run run = arrow("run", "--", "/bin/true");
        assertThat(run.status()).isEqualTo(125);
        assertThat(run.stderr()).contains(NO_JDK);

        Files.setLastModifiedTime(tree.resolve("native/src/helper.h"), FileTime.from(Instant.now().minusSeconds(30)));
        Files.delete(tree.resolve("native/target/arrow-sandbox-helper"));
        assertThat(arrow("run", "--", "/bin/true").stderr()).contains(NO_JDK);
    }

    @Test
    void throughALinkFromElsewhereAndByName(@TempDir Path elsewhere) throws Exception {
        Files.createSymbolicLink(elsewhere.resolve("arrow"), tree.resolve("arrow"));
        Run linked = run(elsewhere, elsewhere.resolve("arrow").toString(), "run", "--", "/bin/echo", "linked");
        assertThat(linked.stdout()).isEqualTo("linked\n");
        assertThat(linked.status()).isZero();

        for (String shell : List.of("sh", "bash")) {
            Run byName = run(tree, shell, "arrow", "run", "--", "/bin/echo", "by name");
            assertThat(byName.stdout()).as(shell).isEqualTo("by name\n");
            assertThat(byName.status()).as(shell).isZero();
        }
        // the rest of the launcher is bash, also when sh is bash in its POSIX mode
        assertThat(run(tree, "bash", "--posix", "arrow", "ls").stderr()).contains(NO_JDK);
        assertThat(run(tree, "sh", "arrow", "ls").stderr()).contains(NO_JDK);
    }
}
