package dev.arrow.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code arrow bench fuzz}: {@link FrontDoorFuzz} against a separate node process, with what the
 * fuzz cannot see from inside a node: its RSS and open files before, right after and after a
 * while idle, and the stack traces in its stderr.
 */
@Command(
        name = "fuzz",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Starts 'arrow serve' (its own temporary home), deploys an arrow 'echo' (cat), and sends --requests"
                    + " seeded malformed requests over raw sockets, one connection each, at most 4 at a time: odd"
                    + " methods and paths, broken JSON, broken HTTP framing, broken archives, bad tokens, odd query"
                    + " strings. It prints the answers by status, the 500s, hangs (no answer within 15 s), answers"
                    + " naming Java classes and stack traces in the node's stderr, with the first request of each"
                    + " failing kind, and the node's RSS and open files idle before, right after, and after"
                    + " --idle-seconds idle. Exits with 1 if it found a 500, a hang, a Java name or a stack trace."
        })
final class FuzzBenchmark implements Callable<Integer> {

    /** The exit status when the fuzz found something. */
    static final int FOUND = 1;

    @Spec
    CommandSpec spec;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "10000", description = "Requests to send (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "20261207",
            description = "Seed of the requests: the same seed sends the same requests (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "4",
            description = "Requests at once, 1 to 4 (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--idle-seconds", paramLabel = "N", defaultValue = "30",
            description = "Idle time before the last RSS and open-files reading (default: ${DEFAULT-VALUE}).")
    int idleSeconds;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || idleSeconds < 0) {
            throw new ParameterException(spec.commandLine(), "--requests must be at least 1 and --idle-seconds 0 or more");
        }
        if (concurrency < 1 || concurrency > FrontDoorFuzz.MAX_CONCURRENCY) {
            throw new ParameterException(spec.commandLine(), "--concurrency must be 1 to " + FrontDoorFuzz.MAX_CONCURRENCY);
        }
        try (NodeBenchmark.RunningNode node = NodeBenchmark.RunningNode.start(true)) {
            var fuzz = new FrontDoorFuzz(node.base, node.token);
            fuzz.prepare();
            Thread.sleep(3000); // the first invocations' garbage collected, their connections closed
            long rssIdle = node.rssBytes();
            int fdsIdle = node.openFiles();
            System.out.printf(Locale.ROOT, "arrow bench fuzz: %d requests, seed %d, %d at a time; node idle: RSS %.1f MiB,"
                    + " %d open files%n", requests, seed, concurrency, mib(rssIdle), fdsIdle);
            System.out.flush();

            FrontDoorFuzz.Result result = fuzz.run(fuzz.requests(seed, requests), concurrency);
            long rssAfter = node.rssBytes();
            int fdsAfter = node.openFiles();
            double seconds = result.nanos / 1e9;
            System.out.printf(Locale.ROOT, "sent in %.1f s (%.0f requests/s)%n", seconds, result.requests / seconds);
            System.out.printf(Locale.ROOT, "answered: %d (%.1f%%) -- %s%n", result.answered(),
                    100.0 * result.answered() / result.requests, joined(result.byClass()));
            System.out.println("  by status: " + joined(result.byStatus));
            System.out.printf(Locale.ROOT, "closed without an answer: %d (%d of them by a reset)%n",
                    result.closedWithoutAnswer, result.reset);
            System.out.println("500s (5xx other than 503, 505): " + result.count(FrontDoorFuzz.Problem.SERVER_ERROR));
            System.out.println("hangs (no answer within " + FrontDoorFuzz.HANG_MILLIS / 1000 + " s): "
                    + result.count(FrontDoorFuzz.Problem.HANG));
            System.out.println("answers naming Java classes: " + result.count(FrontDoorFuzz.Problem.JAVA_NAME));
            System.out.println("pipelined connections missing an answer: " + result.count(FrontDoorFuzz.Problem.MISSING_ANSWER));
            System.out.flush();

            Thread.sleep(idleSeconds * 1000L);
            long rssIdleAfter = node.rssBytes();
            int fdsIdleAfter = node.openFiles();
            String broken = fuzz.stillWorks();
            List<String> traces = FrontDoorFuzz.stackTraces(node.stderrLines());

            System.out.println("stack traces or SEVERE records in the node's stderr: " + traces.size());
            List<FrontDoorFuzz.Finding> findings = result.firstFindings();
            if (!findings.isEmpty()) {
                System.out.println("first request of each failing kind:");
                findings.forEach(finding -> System.out.println("  " + finding.describe()));
            }
            if (!traces.isEmpty()) {
                System.out.println("first stack traces:");
                traces.stream().limit(5).forEach(trace -> System.out.println("  " + trace));
            }
            System.out.println("afterwards the node " + (broken.isEmpty() ? "still deploys and invokes" : "is broken: " + broken));
            System.out.printf(Locale.ROOT, "RSS: idle %.1f MiB; right after %.1f MiB (%+.1f); after %d s idle %.1f MiB (%+.1f;"
                    + " the goal: within 50 MiB of idle, %s)%n", mib(rssIdle), mib(rssAfter), mib(rssAfter - rssIdle),
                    idleSeconds, mib(rssIdleAfter), mib(rssIdleAfter - rssIdle),
                    rssIdleAfter - rssIdle <= 50L << 20 ? "met" : "NOT met");
            System.out.printf(Locale.ROOT, "open files: idle %d; right after %d (%+d); after %d s idle %d (%+d; the goal:"
                    + " back to idle, %s)%n", fdsIdle, fdsAfter, fdsAfter - fdsIdle, idleSeconds, fdsIdleAfter,
                    fdsIdleAfter - fdsIdle, fdsIdleAfter <= fdsIdle ? "met" : "NOT met");
            boolean found = !findings.isEmpty() || !traces.isEmpty() || !broken.isEmpty();
            System.out.println(found ? "found: see above" : "found no 500, no hang, no Java name and no stack trace");
            return found ? FOUND : 0;
        }
    }

    private static String joined(Map<?, Integer> counts) {
        var out = new StringJoiner(", ");
        counts.forEach((key, n) -> out.add(key + ": " + n));
        return out.toString();
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
