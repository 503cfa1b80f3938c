package dev.arrow.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * What the node commands take from the process they run in, so tests can run them in-JVM:
 * stdin, stdout (raw bytes for invocation output), stderr, the environment, the user's home,
 * whether stderr is a terminal (for progress bars) and the clock (for "5m ago").
 */
public record CliContext(
        InputStream in,
        PrintStream out,
        PrintStream err,
        Map<String, String> env,
        Path userHome,
        boolean errIsTerminal,
        Clock clock) {

    /** The real process: System streams, environment and home. */
    public static CliContext system() {
        return new CliContext(System.in, System.out, System.err, System.getenv(),
                Path.of(System.getProperty("user.home")), stderrIsTerminal(), Clock.systemUTC());
    }

    /** For tests and embedding: no terminal, the system clock, home from {@code user.home}. */
    public static CliContext of(InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        return new CliContext(in, out, err, Map.copyOf(env), Path.of(System.getProperty("user.home")), false,
                Clock.systemUTC());
    }

    /** Java cannot ask isatty(2); on Linux the link behind fd 2 tells. */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }
}
