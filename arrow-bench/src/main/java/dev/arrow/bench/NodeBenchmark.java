package dev.arrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.ArrowCli;
import dev.arrow.runtime.ExecInvoker;
import dev.arrow.runtime.ExecResult;
import dev.arrow.runtime.ExecTask;
import dev.arrow.runtime.OutputPolicy;
import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandboxes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code arrow bench node}: a real {@code arrow serve} process measured from outside: time to
 * ready and idle memory, exec-mode throughput, and the latency the node adds over driving the
 * sandbox directly from one JVM, both measured in this run, in turns.
 */
@Command(
        name = "node",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Starts 'arrow serve' (a separate JVM, its own temporary home) --starts times and reports time to"
                    + " ready (process start to the first /healthz answer) and idle RSS. Then it deploys an arrow"
                    + " running /bin/true and measures: -n sequential invocations through the node next to -n runs"
                    + " of the same sandbox from this JVM (in turns), and --total invocations from --concurrency"
                    + " clients at once (fresh-sandbox invocations per second)."
        })
final class NodeBenchmark implements Callable<Integer> {

    private static final Pattern LISTENING = Pattern.compile("node listening on (http://[^\\s,]+)");

    @Spec
    CommandSpec spec;

    @Option(names = "-n", paramLabel = "N", defaultValue = "200", description = "Sequential runs per way (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "300",
            description = "Invocations through the node before the throughput is measured (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--total", paramLabel = "N", defaultValue = "1000",
            description = "Invocations in the throughput run (default: ${DEFAULT-VALUE}).")
    int total;

    @Option(names = "--concurrency", paramLabel = "C", defaultValue = "16",
            description = "Clients at once in the throughput run (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--starts", paramLabel = "N", defaultValue = "5",
            description = "Node starts to time (default: ${DEFAULT-VALUE}).")
    int starts;

    @Option(names = "--json", description = "Print the results as JSON.")
    boolean json;

    // Made on first use: picocli builds every command at start, and an HttpClient costs every
    // other command (serve included) a few hundred milliseconds of start-up.
    private HttpClient http;

    @Override
    public Integer call() throws Exception {
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more");
        }
        if (runs < 1 || total < 1 || concurrency < 1 || starts < 1) {
            throw new ParameterException(spec.commandLine(), "-n, --total, --concurrency and --starts must be at least 1");
        }
        List<Long> readyNanos = new ArrayList<>();
        List<Long> idleRss = new ArrayList<>();
        for (int i = 0; i < starts; i++) {
            try (RunningNode node = RunningNode.start()) {
                readyNanos.add(node.readyNanos);
                Thread.sleep(2000); // let start-up garbage settle, as an idle node would
                idleRss.add(node.rssBytes());
            }
        }
        ObjectNode out = new ObjectMapper().createObjectNode();
        try (RunningNode node = RunningNode.start()) {
            URI base = node.base;
            String token = node.token;
            // The light client (see KeepAliveClient): java.net.http's own CPU on 2 cores came out
            // of what the node could use.
            Supplier<KeepAliveClient> newClient = () -> new KeepAliveClient("POST",
                    base.resolve("/v1/arrows/bench-true/invoke"), Map.of("Authorization", "Bearer " + token));
            send(base, token, "POST", "/v1/arrows",
                    "{\"name\":\"bench-true\",\"command\":[\"/bin/true\"],\"limits\":{\"memory\":\"64m\"},"
                            + "\"scaling\":{\"maxInstances\":1000}}");
            var invoker = new ExecInvoker(Sandboxes.processDriver(), OutputPolicy.DEFAULT);
            var task = new ExecTask(List.of("/bin/true"), Map.of(), Optional.empty(),
                    Limits.DEFAULT.withMemoryBytes(64L << 20).withCpuMillis(1000).withPids(128)
                            .withWallTime(Duration.ofSeconds(30)), NetworkPolicy.NONE);
            long[] direct = new long[runs];
            long[] through = new long[runs];
            try (var sequential = newClient.get()) {
                for (int i = 0; i < 20; i++) { // warm-up: JIT, page cache, the node's first requests
                    invokeThroughNode(sequential);
                    invoker.invoke(task, new byte[0]);
                }
                for (int i = 0; i < runs; i++) {
                    if (i % 2 == 0) {
                        through[i] = invokeThroughNode(sequential);
                        direct[i] = invokeDirectly(invoker, task);
                    } else {
                        direct[i] = invokeDirectly(invoker, task);
                        through[i] = invokeThroughNode(sequential);
                    }
                }
            }
            // The same load, first to warm the node's JIT (not measured), then measured: through the
            // node, and straight from this JVM's sandbox driver as the baseline of what 2 cores give.
            load(Math.min(total, warmup), newClient, NodeBenchmark::invokeThroughNode);
            var failures = new AtomicInteger();
            long started = System.nanoTime();
            failures.set(load(total, newClient, NodeBenchmark::invokeThroughNode));
            double seconds = (System.nanoTime() - started) / 1e9;
            long directStarted = System.nanoTime();
            int directFailures = load(total, newClient, unused -> invokeDirectly(invoker, task));
            double directSeconds = (System.nanoTime() - directStarted) / 1e9;
            Timings directTimings = new Timings(direct);
            Timings nodeTimings = new Timings(through);
            Timings ready = new Timings(readyNanos.stream().mapToLong(Long::longValue).toArray());
            long rss = idleRss.stream().sorted().toList().get(idleRss.size() / 2);
            out.put("readyMedianMs", round(ready.medianMillis()));
            out.put("idleRssMiB", round(rss / 1048576.0));
            out.put("directMedianMs", round(directTimings.medianMillis()));
            out.put("directP99Ms", round(directTimings.p99Millis()));
            out.put("nodeMedianMs", round(nodeTimings.medianMillis()));
            out.put("nodeP99Ms", round(nodeTimings.p99Millis()));
            out.put("addedMedianMs", round(nodeTimings.medianMillis() - directTimings.medianMillis()));
            out.put("throughputPerSecond", round((total - failures.get()) / seconds));
            out.put("throughputFailures", failures.get());
            out.put("directThroughputPerSecond", round((total - directFailures) / directSeconds));
            out.put("concurrency", concurrency);
            out.put("total", total);
        }
        if (json) {
            System.out.println(out.toPrettyString());
        } else {
            System.out.printf(Locale.ROOT, "node start to ready (median of %d)   %8.1f ms%n", starts, out.get("readyMedianMs").asDouble());
            System.out.printf(Locale.ROOT, "idle node RSS (median of %d)         %8.1f MiB%n", starts, out.get("idleRssMiB").asDouble());
            System.out.printf(Locale.ROOT, "sandbox from this JVM, /bin/true     %8.2f ms median  %8.2f ms p99  (n=%d)%n",
                    out.get("directMedianMs").asDouble(), out.get("directP99Ms").asDouble(), runs);
            System.out.printf(Locale.ROOT, "sync invocation through the node     %8.2f ms median  %8.2f ms p99  (n=%d)%n",
                    out.get("nodeMedianMs").asDouble(), out.get("nodeP99Ms").asDouble(), runs);
            System.out.printf(Locale.ROOT, "added by the node                    %8.2f ms median%n", out.get("addedMedianMs").asDouble());
            System.out.printf(Locale.ROOT, "throughput, %d clients               %8.1f invocations/s  (%d invocations, %d failed)%n",
                    concurrency, out.get("throughputPerSecond").asDouble(), total, out.get("throughputFailures").asInt());
            System.out.printf(Locale.ROOT, "the same load from this JVM, no node  %8.1f sandboxes/s  (node: %.0f%% of it)%n",
                    out.get("directThroughputPerSecond").asDouble(),
                    100 * out.get("throughputPerSecond").asDouble() / out.get("directThroughputPerSecond").asDouble());
        }
        return 0;
    }

    @FunctionalInterface
    private interface Call {
        long run(KeepAliveClient toNode) throws Exception;
    }

    /**
     * Makes {@code count} calls from --concurrency virtual threads, each with its own client from
     * {@code newClient}; returns how many failed.
     */
    private int load(int count, Supplier<KeepAliveClient> newClient, Call call) throws Exception {
        var failures = new AtomicInteger();
        var next = new AtomicInteger();
        try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                futures.add(clients.submit(() -> {
                    try (var toNode = newClient.get()) {
                        while (next.getAndIncrement() < count) {
                            try {
                                call.run(toNode);
                            } catch (Exception e) {
                                failures.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        }
        return failures.get();
    }

    private static long invokeThroughNode(KeepAliveClient toNode) throws Exception {
        long start = System.nanoTime();
        int status = toNode.send();
        long elapsed = System.nanoTime() - start;
        if (status != 200) {
            throw new IOException("invocation answered " + status);
        }
        return elapsed;
    }

    private static long invokeDirectly(ExecInvoker invoker, ExecTask task) throws Exception {
        long start = System.nanoTime();
        ExecResult result = invoker.invoke(task, new byte[0]);
        long elapsed = System.nanoTime() - start;
        if (!(result.sandbox().outcome() instanceof Outcome.Exited(int code)) || code != 0) {
            throw new IOException("the sandbox ended " + result.sandbox().outcome());
        }
        return elapsed;
    }

    private void send(URI base, String token, String method, String path, String body) throws Exception {
        HttpResponse<String> response = http().send(HttpRequest.newBuilder(base.resolve(path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IOException(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    /** An {@code arrow serve} child process with a temporary home, stopped and removed on close. */
    static final class RunningNode implements AutoCloseable {
        final Process process;
        final Path home;
        final URI base;
        final String token;
        final long readyNanos;
        /** The node's stderr from its start, one line at a time, when kept; else null. */
        private final Path stderr;

        private RunningNode(Process process, Path home, URI base, String token, long readyNanos, Path stderr) {
            this.process = process;
            this.home = home;
            this.base = base;
            this.token = token;
            this.readyNanos = readyNanos;
            this.stderr = stderr;
        }

        static RunningNode start(String... serveOptions) throws Exception {
            return start(false, serveOptions);
        }

        /** A call to the node's API with its token; the JSON answer (empty: {}), or a failure naming the call. */
        com.fasterxml.jackson.databind.JsonNode api(HttpClient http, String method, String path, String type, byte[] body)
                throws IOException, InterruptedException {
            var request = HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            if (type != null) {
                request.header("Content-Type", type);
            }
            HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() / 100 != 2) {
                throw new IOException(method + " " + path + " answered " + answer.statusCode() + ": " + answer.body());
            }
            var json = new ObjectMapper();
            return answer.body().isBlank() ? json.createObjectNode() : json.readTree(answer.body());
        }

        /**
         * Starts {@code arrow serve}; with {@code keepStderr}, its stderr lines are kept in a file
         * beside its home (removed on close) for {@link #stderrLines()}, else thrown away once it
         * is ready.
         */
        static RunningNode start(boolean keepStderr, String... serveOptions) throws Exception {
            Path home = Files.createTempDirectory("arrow-bench-node");
            // Started the way users start it: through the ./arrow launcher (its JVM options and
            // start-up cache) when this JVM came from it, else a plain JVM on this jar.
            var command = new ArrayList<String>();
            String launcher = System.getProperty("arrow.launcher");
            if (launcher != null && Files.isExecutable(Path.of(launcher))) {
                command.add(launcher);
            } else {
                Path jar = Path.of(ArrowCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                command.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:+UseSerialGC",
                        "--enable-native-access=ALL-UNNAMED"));
                Optional.ofNullable(System.getProperty("arrow.helper")).ifPresent(h -> command.add("-Darrow.helper=" + h));
                command.addAll(List.of("-cp", jar.toString(), ArrowCli.class.getName()));
            }
            command.addAll(List.of("serve", "--listen", "127.0.0.1:0", "--s3-listen", "127.0.0.1:0", "--home", home.toString()));
            command.addAll(List.of(serveOptions));
            long start = System.nanoTime();
            Path stderr = keepStderr ? Files.createTempFile("arrow-bench-node", ".stderr") : null;
            Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                return awaitReady(process, home, start, stderr);
            } catch (Exception e) {
                // A node that never became usable is still ours to stop, and its home ours to remove.
                process.destroyForcibly().waitFor();
                deleteHome(home);
                if (stderr != null) {
                    Files.deleteIfExists(stderr);
                }
                throw e;
            }
        }

        private static RunningNode awaitReady(Process process, Path home, long start, Path stderr) throws Exception {
            var reader = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
            Writer kept = stderr == null ? Writer.nullWriter() : Files.newBufferedWriter(stderr, StandardCharsets.UTF_8);
            URI base = null;
            String line;
            while (base == null && (line = reader.readLine()) != null) {
                kept.write(line + "\n");
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    base = URI.create(m.group(1));
                }
            }
            kept.flush();
            if (base == null) {
                kept.close();
                throw new IOException("arrow serve ended before it listened (exit " + process.waitFor() + ")");
            }
            Thread.ofVirtual().start(() -> {
                // Keep draining so the node never blocks on stderr; a kept line is in the file once read.
                try (kept) {
                    for (String next; (next = reader.readLine()) != null; ) {
                        kept.write(next + "\n");
                        kept.flush();
                    }
                } catch (IOException ignored) {
                    // the node ended
                }
            });
            HttpClient client = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    if (client.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw notYet;
                    }
                }
                Thread.sleep(1);
            }
            long ready = System.nanoTime() - start;
            String token = Files.readString(home.resolve("token")).strip();
            return new RunningNode(process, home, base, token, ready, stderr);
        }

        /** The node's stderr lines so far, from its start: only for a node started with {@code keepStderr}. */
        List<String> stderrLines() throws IOException {
            if (stderr == null) {
                throw new IllegalStateException("this node's stderr is not kept");
            }
            return Files.readAllLines(stderr, StandardCharsets.UTF_8);
        }

        int openFiles() throws IOException {
            try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
                return (int) fds.count();
            }
        }

        long rssBytes() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new IOException("no VmRSS for pid " + process.pid());
        }

        @Override
        public void close() throws Exception {
            process.destroy(); // SIGTERM: the node stops gracefully
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            deleteHome(home);
            if (stderr != null) {
                Files.deleteIfExists(stderr);
            }
        }

        private static void deleteHome(Path home) throws IOException {
            try (Stream<Path> files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        }
        return http;
    }
}
