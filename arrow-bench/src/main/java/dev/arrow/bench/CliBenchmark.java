package dev.arrow.bench;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code arrow bench cli}: the node commands as a user types them, whole (the launcher, the JVM,
 * the call, the output), next to curl making the same HTTP call, in turns, in one run.
 */
@Command(
        name = "cli",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Starts 'arrow serve' (its own temporary home), deploys a warm http-mode arrow, then times -n runs"
                    + " of each node command through ./arrow (ls, invoke of the warm arrow, invocations, deploy of"
                    + " a small arrow, --version) next to curl making the same HTTP call, in turns. Prints the"
                    + " median and p99 of each and the median's ratio to curl's; the goal is under 150 ms."
        })
final class CliBenchmark implements Callable<Integer> {

    /** What the design promises a node command, whole, on a quiet machine. */
    static final double GOAL_MILLIS = 150;

    @Spec
    CommandSpec spec;

    @Option(names = "-n", paramLabel = "N", defaultValue = "20", description = "Measured runs per way (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "2", description = "Unmeasured runs per way first (default: ${DEFAULT-VALUE}).")
    int warmup;

    /** One command: the arrow way, and curl's when there is an HTTP call to compare with. */
    record Pair(String name, List<String> arrow, Optional<List<String>> curl) {
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || warmup < 0) {
            throw new ParameterException(spec.commandLine(), "-n must be at least 1 and --warmup 0 or more");
        }
        Optional<Path> launcher = SpawnBenchmark.findLauncher();
        if (launcher.isEmpty()) {
            throw new ProcessFailedException("arrow bench cli needs the ./arrow launcher of a source tree");
        }
        Path curl = Processes.onPath("curl")
                .orElseThrow(() -> new ProcessFailedException("arrow bench cli needs curl (apt-get install curl)"));
        try (NodeBenchmark.RunningNode node = NodeBenchmark.RunningNode.start()) {
            String base = node.base.toString();
            Map<String, String> env = Map.of("ARROW_NODE", base, "ARROW_TOKEN", node.token);
            List<String> auth = List.of("-H", "Authorization: Bearer " + node.token);
            deployWarmArrow(curl, auth, base);

            List<Pair> pairs = List.of(
                    pair("ls", List.of("ls"), curlCall(curl, auth, "GET", base + "/v1/arrows", null)),
                    pair("invoke (warm)", List.of("invoke", "warm", "--data", "hello"),
                            curlCall(curl, auth, "POST", base + "/v1/arrows/warm/invoke", "hello")),
                    pair("invocations", List.of("invocations", "--limit", "20"),
                            curlCall(curl, auth, "GET", base + "/v1/invocations?limit=20", null)),
                    pair("deploy (small)", List.of("deploy", "small", "--", "echo", "hi"),
                            curlCall(curl, auth, "POST", base + "/v1/arrows", "{\"name\":\"small\",\"command\":[\"echo\",\"hi\"]}")),
                    new Pair("--version", List.of("--version"), Optional.empty()));

            var results = new LinkedHashMap<String, long[][]>();
            for (Pair pair : pairs) {
                var arrow = new ArrayList<String>(List.of(launcher.get().toString()));
                arrow.addAll(pair.arrow());
                results.put(pair.name(), new long[][] {new long[runs], new long[runs]});
                for (int i = 0; i < warmup + runs; i++) { // in turns: the machine's drift hits both alike
                    long a = timed(arrow, env);
                    long c = pair.curl().isPresent() ? timed(pair.curl().get(), Map.of()) : 0;
                    if (i >= warmup) {
                        results.get(pair.name())[0][i - warmup] = a;
                        results.get(pair.name())[1][i - warmup] = c;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "arrow bench cli: %d runs each (after %d unmeasured), through %s%n",
                    runs, warmup, launcher.get());
            System.out.printf(Locale.ROOT, "%-16s %12s %10s %12s %10s %10s %6s%n",
                    "command", "arrow median", "p99", "curl median", "p99", "vs curl", "goal");
            for (Pair pair : pairs) {
                Timings arrow = new Timings(results.get(pair.name())[0]);
                boolean hasCurl = pair.curl().isPresent();
                Timings viaCurl = hasCurl ? new Timings(results.get(pair.name())[1]) : null;
                System.out.printf(Locale.ROOT, "%-16s %9.1f ms %7.1f ms %12s %10s %10s %6s%n", pair.name(),
                        arrow.medianMillis(), arrow.p99Millis(),
                        hasCurl ? String.format(Locale.ROOT, "%9.1f ms", viaCurl.medianMillis()) : "-",
                        hasCurl ? String.format(Locale.ROOT, "%7.1f ms", viaCurl.p99Millis()) : "-",
                        hasCurl ? String.format(Locale.ROOT, "%.1fx", arrow.medianMillis() / viaCurl.medianMillis()) : "-",
                        arrow.medianMillis() < GOAL_MILLIS ? "met" : "NOT");
            }
        }
        return 0;
    }

    private static Pair pair(String name, List<String> arrow, List<String> curl) {
        return new Pair(name, arrow, Optional.of(curl));
    }

    private static List<String> curlCall(Path curl, List<String> auth, String method, String url, String data) {
        var argv = new ArrayList<String>(List.of(curl.toString(), "-sf", "-o", "/dev/null", "-X", method));
        argv.addAll(auth);
        if (data != null) {
            argv.addAll(List.of("-H", "Content-Type: application/json", "--data-binary", data));
        }
        argv.add(url);
        return argv;
    }

    /** An http-mode arrow kept warm (one instance always up), so that invoke measures the CLI, not a cold start. */
    private static void deployWarmArrow(Path curl, List<String> auth, String base) throws Exception {
        String spec = "{\"name\":\"warm\",\"mode\":\"http\",\"command\":" + WarmApp.commandJson()
                + ",\"scaling\":{\"minInstances\":1,\"maxInstances\":1,\"concurrency\":4}}";
        Processes.run(curlCall(curl, auth, "POST", base + "/v1/arrows", spec));
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<String> probe = curlCall(curl, auth, "POST", base + "/v1/arrows/warm/invoke", "x");
        while (true) {
            try {
                Processes.run(probe);
                return;
            } catch (ProcessFailedException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
    }

    private static long timed(List<String> argv, Map<String, String> env) throws Exception {
        var builder = new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(env);
        long start = System.nanoTime();
        int status = builder.start().waitFor();
        long nanos = System.nanoTime() - start;
        if (status != 0) {
            throw new ProcessFailedException(String.join(" ", argv) + " exited with status " + status);
        }
        return nanos;
    }
}
