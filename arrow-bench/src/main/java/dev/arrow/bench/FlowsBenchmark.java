package dev.arrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code arrow bench flows}: what a durable flow adds per step over a client calling the same warm
 * arrows itself, and how many flow runs a node starts and finishes per second.
 *
 * <p>The step overhead compares, in rounds whose order alternates, a client calling N warm
 * http-mode arrows through the gateway in a loop (each answer the next request's body, one
 * kept-alive connection per arrow) with a flow whose {@code do} calls the same N arrows in order,
 * started with {@code ?wait=} and timed from the request to its answer. Both end with the same
 * output. The flow's time includes its synced store, as shipped.
 */
@Command(name = "flows", mixinStandardHelpOptions = true, sortOptions = false,
        description = "A flow step's overhead over calling the same warm arrows in a loop; flow runs started and"
                + " finished per second.")
final class FlowsBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String STEPS_FLOW = "bench-steps";
    static final String SET_FLOW = "bench-set";
    private static final String ARROW_PREFIX = "bench-step-";
    private static final byte[] FIRST_INPUT = "{\"n\":0}".getBytes(StandardCharsets.UTF_8);

    @Option(names = "--arrows", paramLabel = "N", defaultValue = "10",
            description = "Warm arrows called in order, by the loop and by the flow's steps (default: ${DEFAULT-VALUE}).")
    int arrows;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "5",
            description = "Rounds of the step overhead; each runs both ways, the first way alternating (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--sequences", paramLabel = "M", defaultValue = "20",
            description = "Sequences of N calls each way in a round (default: ${DEFAULT-VALUE}).")
    int sequences;

    @Option(names = "--warmup", paramLabel = "W", defaultValue = "100",
            description = "Unmeasured sequences each way before the rounds (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--clients", paramLabel = "C", defaultValue = "8",
            description = "Clients starting runs of a one-step flow (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", paramLabel = "D", defaultValue = "5",
            description = "How long the clients start runs (default: ${DEFAULT-VALUE}).")
    int seconds;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public Integer call() throws Exception {
        if (arrows < 1 || rounds < 1 || sequences < 1 || clients < 1 || seconds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--arrows, --rounds, --sequences, --clients and --seconds must be at least 1,"
                    + " --warmup 0 or more");
        }
        // Other work on 2 cores moves every figure here: say how busy the machine was.
        System.out.println("load average before: " + loadAverage());
        try (var node = NodeBenchmark.RunningNode.start()) {
            for (int i = 0; i < arrows; i++) {
                call(node, "POST", "/v1/arrows", "application/json", arrowSpec(ARROW_PREFIX + i).toString());
            }
            call(node, "POST", "/v1/flows?language=dsl", "application/yaml", stepsFlow(STEPS_FLOW, arrowNames(arrows)));
            call(node, "POST", "/v1/flows?language=dsl", "application/yaml", setFlow(SET_FLOW));
            stepOverhead(node);
            runsPerSecond(node);
        }
        System.out.println("load average after: " + loadAverage());
        return 0;
    }

    /** The 1, 5 and 15 minute load averages, as /proc/loadavg gives them. */
    private static String loadAverage() throws IOException {
        String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
        return fields.length < 3 ? "unknown" : fields[0] + " " + fields[1] + " " + fields[2];
    }

    /** One way of running the N calls (or, for the set flow, none): nanoseconds of one sequence. */
    private interface Way {
        long once() throws Exception;
    }

    /**
     * The loop and the flow over the same N arrows, in rounds; the overhead per step of each round
     * and their median. Two more ways run in the same rounds, to show where a step's time goes: the
     * same chain through the node's invocation path ({@code /v1/arrows/{name}/invoke}, the path a
     * flow's calls take), and a run of the one-step set flow (a run's own start and end).
     */
    private void stepOverhead(NodeBenchmark.RunningNode node) throws Exception {
        List<KeepAliveClient> toArrows = new ArrayList<>();
        List<KeepAliveClient> toInvoke = new ArrayList<>();
        for (String arrow : arrowNames(arrows)) {
            toArrows.add(new KeepAliveClient("POST", node.base.resolve("/a/" + arrow + "/"),
                    Map.of("Content-Type", "application/json")));
            toInvoke.add(new KeepAliveClient("POST", node.base.resolve("/v1/arrows/" + arrow + "/invoke"),
                    Map.of("Authorization", "Bearer " + node.token, "Content-Type", "application/json")));
        }
        var toFlow = new KeepAliveClient("POST", node.base.resolve("/v1/flows/" + STEPS_FLOW + "/runs?wait=30s"),
                Map.of("Authorization", "Bearer " + node.token, "Content-Type", "application/json"));
        var toSetFlow = new KeepAliveClient("POST", node.base.resolve("/v1/flows/" + SET_FLOW + "/runs?wait=30s"),
                Map.of("Authorization", "Bearer " + node.token, "Content-Type", "application/json"));
        // Index 0 and 1 are the promise's; the order rotates from round to round.
        List<String> runIds = new ArrayList<>(); // of the steps flow's measured runs
        List<Way> ways = List.of(() -> flow(toFlow, arrows, runIds), () -> loop(toArrows), () -> loop(toInvoke),
                () -> flow(toSetFlow, 0, new ArrayList<>()));
        List<String> names = List.of("flow", "loop", "invoke loop", "set flow");
        try {
            for (int i = 0; i < warmup; i++) { // the instances started, the JITs and the store at work
                for (Way way : ways) {
                    way.once();
                }
            }
            runIds.clear();
            double[][] millis = new double[ways.size()][rounds];
            for (int round = 0; round < rounds; round++) {
                var order = new StringBuilder();
                for (int k = 0; k < ways.size(); k++) {
                    int w = (round + k) % ways.size();
                    order.append(k == 0 ? "" : ", ").append(names.get(w));
                    long[] took = new long[sequences];
                    for (int s = 0; s < sequences; s++) {
                        took[s] = ways.get(w).once();
                    }
                    millis[w][round] = new Timings(took).medianMillis();
                }
                System.out.printf(Locale.ROOT, "  round %d (%s): flow %.3f ms, loop %.3f ms, %+.3f ms per step;"
                                + " invoke loop %.3f ms, set flow %.3f ms%n",
                        round + 1, order, millis[0][round], millis[1][round], perStepMillis(millis[0][round], millis[1][round], arrows),
                        millis[2][round], millis[3][round]);
            }
            double[] flow = millis[0];
            double[] loop = millis[1];
            double[] invoke = millis[2];
            double[] set = millis[3];
            System.out.printf(Locale.ROOT, "%-52s %9.3f ms median of %d rounds  (%d sequences each)%n",
                    "flow of " + arrows + " arrow calls, started with ?wait=", Timings.median(flow), rounds, sequences);
            System.out.printf(Locale.ROOT, "%-52s %9.3f ms%n", "the same " + arrows + " calls in a client's loop", Timings.median(loop));
            System.out.printf(Locale.ROOT, "%-52s %9.3f ms  (goal: under 2, durability included; rounds %s)%n",
                    "overhead per step, at the median", medianPerStepMillis(flow, loop, arrows), eachRound(flow, loop, arrows));
            System.out.println("where it goes:");
            System.out.printf(Locale.ROOT, "%-52s %9.3f ms  (%+.3f ms per call over the gateway)%n",
                    "  the same calls through /v1/arrows/{name}/invoke", Timings.median(invoke),
                    medianPerStepMillis(invoke, loop, arrows));
            System.out.printf(Locale.ROOT, "%-52s %9.3f ms  (a run's start, its step, its end)%n",
                    "  a run of one set step, started with ?wait=", Timings.median(set));
            System.out.printf(Locale.ROOT, "%-52s %9.3f ms  ((flow - set flow - invoke loop) / %d; its records:"
                            + " a commit at its start, a synced one at its end)%n",
                    "  per call step, beyond the run and the invocation", medianBeyondMillis(flow, set, invoke, arrows), arrows);
            nodeRecords(node, runIds);
            storeAlone(node.home);
        } finally {
            toArrows.forEach(KeepAliveClient::close);
            toInvoke.forEach(KeepAliveClient::close);
            toFlow.close();
            toSetFlow.close();
        }
    }

    /** Nanoseconds of the N calls in order, each answer the next body; checks the count the arrows made. */
    private static long loop(List<KeepAliveClient> toArrows) throws IOException, ProcessFailedException {
        byte[] body = FIRST_INPUT;
        long start = System.nanoTime();
        for (KeepAliveClient arrow : toArrows) {
            KeepAliveClient.Answer answer = arrow.send(body);
            if (answer.status() != 200) {
                throw new IOException("the node answered " + answer.status() + ": " + text(answer.body()));
            }
            body = answer.body();
        }
        long elapsed = System.nanoTime() - start;
        int n = JSON.readTree(body).path("n").asInt(-1);
        if (n != toArrows.size()) {
            throw new ProcessFailedException("the loop ended with " + text(body) + ", not n=" + toArrows.size());
        }
        return elapsed;
    }

    /**
     * Nanoseconds of one run started with ?wait=; checks that it succeeded with {@code n} as the
     * loop's (the set flow sets n to 0); adds the run's id to {@code ids}.
     */
    private static long flow(KeepAliveClient toFlow, int n, List<String> ids) throws IOException, ProcessFailedException {
        long start = System.nanoTime();
        KeepAliveClient.Answer answer = toFlow.send(FIRST_INPUT);
        long elapsed = System.nanoTime() - start;
        if (answer.status() / 100 != 2) {
            throw new IOException("starting a run answered " + answer.status() + ": " + text(answer.body()));
        }
        JsonNode run = JSON.readTree(answer.body());
        if (!run.path("status").asText().equals("succeeded") || run.path("output").path("n").asInt(-1) != n) {
            throw new ProcessFailedException("the run did not succeed with n=" + n + ": " + text(answer.body()));
        }
        ids.add(run.path("id").asText());
        return elapsed;
    }

    /** C clients start runs of the one-step flow without waiting for D seconds; then until all of them finished. */
    private void runsPerSecond(NodeBenchmark.RunningNode node) throws Exception {
        startRuns(node, Duration.ofSeconds(1)); // the start path warm
        awaitNoneRunning(node, Duration.ofSeconds(120));
        long start = System.nanoTime();
        Starts starts = startRuns(node, Duration.ofSeconds(seconds));
        long loaded = System.nanoTime();
        awaitNoneRunning(node, Duration.ofSeconds(120));
        long finished = System.nanoTime();
        JsonNode failed = call(node, "GET", "/v1/flows/" + SET_FLOW + "/runs?status=failed&limit=1", null, null);
        if (!failed.path("runs").isEmpty()) {
            throw new ProcessFailedException("a run of " + SET_FLOW + " failed: " + failed.path("runs").get(0));
        }
        System.out.printf(Locale.ROOT, "%-44s %9.0f/s  (%d clients, %d runs in %.1f s%s)%n",
                "flow runs started, one set step, no wait", starts.accepted() / ((loaded - start) / 1e9), clients,
                starts.accepted(), (loaded - start) / 1e9,
                starts.refused().isEmpty() ? "" : "; refused: " + starts.refused());
        System.out.printf(Locale.ROOT, "%-44s %9.0f/s  (all finished %.2f s after the last start)%n",
                "flow runs finished", starts.accepted() / ((finished - start) / 1e9), (finished - loaded) / 1e9);
        System.out.flush();
    }

    /** Runs accepted (201), and the other answers by status. */
    private record Starts(long accepted, Map<Integer, Integer> refused) {
    }

    private Starts startRuns(NodeBenchmark.RunningNode node, Duration during) throws Exception {
        URI uri = node.base.resolve("/v1/flows/" + SET_FLOW + "/runs");
        var accepted = new LongAdder();
        var refused = new ConcurrentHashMap<Integer, AtomicInteger>();
        long end = System.nanoTime() + during.toNanos();
        try (var pool = Executors.newFixedThreadPool(clients, Thread.ofPlatform().name("bench-flow-starts-", 0).factory())) {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    try (var client = new KeepAliveClient("POST", uri, Map.of("Authorization", "Bearer " + node.token))) {
                        while (System.nanoTime() < end) {
                            int status = client.send();
                            if (status == 201) {
                                accepted.increment();
                            } else {
                                refused.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
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
        var byStatus = new TreeMap<Integer, Integer>();
        refused.forEach((status, count) -> byStatus.put(status, count.get()));
        return new Starts(accepted.sum(), byStatus);
    }

    /** Polls the one-step flow's running runs until there are none. */
    private void awaitNoneRunning(NodeBenchmark.RunningNode node, Duration atMost) throws Exception {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!call(node, "GET", "/v1/flows/" + SET_FLOW + "/runs?status=running&limit=1", null, null).path("runs").isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new ProcessFailedException("runs of " + SET_FLOW + " still running after " + atMost.toSeconds() + " s");
            }
            Thread.sleep(10);
        }
    }

    /**
     * The split the node's own records give (times of the node's clock, stored in nanoseconds):
     * per call step, the time inside the step (its start record, the call) and between steps (its
     * end's synced record, the next step's start); per run, the time outside its first and last
     * steps.
     */
    private void nodeRecords(NodeBenchmark.RunningNode node, List<String> runIds) throws Exception {
        int count = Math.min(runIds.size(), 50);
        double[] inside = new double[count];
        double[] between = new double[count];
        double[] around = new double[count];
        for (int i = 0; i < count; i++) {
            String id = runIds.get(runIds.size() - count + i);
            JsonNode run = call(node, "GET", "/v1/flows/" + STEPS_FLOW + "/runs/" + id, null, null);
            List<long[]> steps = new ArrayList<>();
            for (JsonNode step : run.path("steps")) {
                if (step.path("kind").asText().equals("call")) {
                    steps.add(new long[] {nanos(step.path("startedAt")), nanos(step.path("endedAt"))});
                }
            }
            if (steps.size() != arrows) {
                throw new ProcessFailedException("run " + id + " has " + steps.size() + " call steps, not " + arrows + ": " + run);
            }
            steps.sort((a, b) -> Long.compare(a[0], b[0]));
            long in = 0;
            long gaps = 0;
            for (int k = 0; k < steps.size(); k++) {
                in += steps.get(k)[1] - steps.get(k)[0];
                if (k > 0) {
                    gaps += steps.get(k)[0] - steps.get(k - 1)[1];
                }
            }
            inside[i] = in / 1e6 / arrows;
            between[i] = arrows > 1 ? gaps / 1e6 / (arrows - 1) : 0;
            around[i] = (steps.getFirst()[0] - nanos(run.path("startedAt")) + nanos(run.path("endedAt")) - steps.getLast()[1]) / 1e6;
        }
        System.out.printf(Locale.ROOT, "%-52s %9.3f ms  (its start record and the call; median of %d runs)%n",
                "  the node's records: inside a call step", Timings.median(inside), count);
        System.out.printf(Locale.ROOT, "%-52s %9.3f ms  (a step's synced end record, the next step's start)%n",
                "  the node's records: between two call steps", Timings.median(between));
        System.out.printf(Locale.ROOT, "%-52s %9.3f ms  (a run's start to its first step, its last step to its end)%n",
                "  the node's records: around the steps, per run", Timings.median(around));
        System.out.flush();
    }

    private static long nanos(JsonNode instant) {
        Instant at = Instant.parse(instant.asText());
        return at.getEpochSecond() * 1_000_000_000L + at.getNano();
    }

    /**
     * What the store's writes cost alone, on the node's disk: a 4 KiB write and fdatasync, and a
     * SQLite commit of one row in WAL mode, synced (FULL, as a call step's end and a run's start and
     * end are) and not (NORMAL, as a call step's start is).
     */
    private static void storeAlone(Path home) throws Exception {
        int count = 200;
        Path file = home.resolve("bench-fsync");
        long[] fsync = new long[count];
        ByteBuffer page = ByteBuffer.allocate(4096);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (int i = 0; i < count; i++) {
                page.clear();
                long start = System.nanoTime();
                channel.write(page, (long) (i % 16) * 4096);
                channel.force(false);
                fsync[i] = System.nanoTime() - start;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        long[] full = new long[count];
        long[] normal = new long[count];
        Path db = home.resolve("bench-commits.db");
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
                Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA journal_mode = WAL");
            statement.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
            connection.setAutoCommit(false);
            String body = "x".repeat(1024);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO steps (body) VALUES (?)")) {
                // Past the first checkpoint, as on a node that has been running: the WAL is then
                // rewritten from its start, not grown (a growing file's fsync also syncs its size).
                for (int i = 0; i < 1500; i++) {
                    commit(connection, statement, insert, "NORMAL", body);
                }
                for (int i = 0; i < count; i++) { // in turns
                    full[i] = commit(connection, statement, insert, "FULL", body);
                    normal[i] = commit(connection, statement, insert, "NORMAL", body);
                }
            }
        } finally {
            for (String suffix : List.of("", "-wal", "-shm")) {
                Files.deleteIfExists(home.resolve("bench-commits.db" + suffix));
            }
        }
        var f = new Timings(fsync);
        var synced = new Timings(full);
        var unsynced = new Timings(normal);
        System.out.printf(Locale.ROOT, "%-52s %9.3f ms median  %8.3f ms p99%n",
                "  a 4 KiB write + fdatasync on the node's disk", f.medianMillis(), f.p99Millis());
        System.out.printf(Locale.ROOT, "%-52s %9.3f ms median  %8.3f ms p99  (a call step's end)%n",
                "  a SQLite commit of one 1 KiB row, WAL, FULL", synced.medianMillis(), synced.p99Millis());
        System.out.printf(Locale.ROOT, "%-52s %9.3f ms median  %8.3f ms p99  (a call step's start)%n",
                "  the same commit, NORMAL (no fsync)", unsynced.medianMillis(), unsynced.p99Millis());
        System.out.flush();
    }

    /** Nanoseconds of one insert and its commit at {@code synchronous} (set outside the timing, as the store does once per group). */
    private static long commit(Connection connection, Statement statement, PreparedStatement insert, String synchronous,
            String body) throws Exception {
        connection.setAutoCommit(true);
        statement.execute("PRAGMA synchronous = " + synchronous);
        connection.setAutoCommit(false);
        long start = System.nanoTime();
        insert.setString(1, body);
        insert.executeUpdate();
        connection.commit();
        return System.nanoTime() - start;
    }

    /** What a flow adds per step: the flow's time over the loop's, shared by its N steps. */
    static double perStepMillis(double flowMillis, double loopMillis, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1");
        }
        return (flowMillis - loopMillis) / steps;
    }

    /** The median of the rounds' overheads per step, each taken within its round. */
    static double medianPerStepMillis(double[] flowMillis, double[] loopMillis, int steps) {
        double[] perStep = new double[flowMillis.length];
        for (int i = 0; i < perStep.length; i++) {
            perStep[i] = perStepMillis(flowMillis[i], loopMillis[i], steps);
        }
        return Timings.median(perStep);
    }

    /**
     * The median of what each round's call steps add beyond a run's own start and end (the set
     * flow's time) and beyond the invocation path (the invoke loop's): (flow - set - invoke) / N.
     */
    static double medianBeyondMillis(double[] flowMillis, double[] setMillis, double[] invokeMillis, int steps) {
        double[] beyond = new double[flowMillis.length];
        for (int i = 0; i < beyond.length; i++) {
            beyond[i] = perStepMillis(flowMillis[i] - setMillis[i], invokeMillis[i], steps);
        }
        return Timings.median(beyond);
    }

    /** "1.21, 1.30, 1.18 ms": each round's overhead per step. */
    static String eachRound(double[] flowMillis, double[] loopMillis, int steps) {
        var text = new StringBuilder();
        for (int i = 0; i < flowMillis.length; i++) {
            text.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", perStepMillis(flowMillis[i], loopMillis[i], steps)));
        }
        return text.append(" ms").toString();
    }

    static List<String> arrowNames(int count) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add(ARROW_PREFIX + i);
        }
        return names;
    }

    /** A DSL flow whose {@code do} calls {@code arrows} in order, each step's input the previous one's output. */
    static String stepsFlow(String name, List<String> arrows) {
        var yaml = new StringBuilder(document(name)).append("do:\n");
        for (int i = 0; i < arrows.size(); i++) {
            yaml.append("  - step").append(i).append(":\n")
                    .append("      call: arrow\n")
                    .append("      with:\n")
                    .append("        name: ").append(arrows.get(i)).append('\n');
        }
        return yaml.toString();
    }

    /** A DSL flow of one {@code set} step, no arrow: its output is {@code {"n": 0}}. */
    static String setFlow(String name) {
        return document(name) + """
                do:
                  - mark:
                      set:
                        n: 0
                """;
    }

    private static String document(String name) {
        return """
                document:
                  dsl: '1.0.0'
                  namespace: bench
                  name: %s
                  version: '1.0.0'
                """.formatted(name);
    }

    /** A warm http-mode arrow answering its JSON input with {@code n} one higher; one instance. */
    private static ObjectNode arrowSpec(String name) {
        ObjectNode spec = JSON.createObjectNode().put("name", name).put("mode", "http");
        WarmApp.counterCommand().forEach(spec.putArray("command")::add);
        spec.putObject("scaling").put("concurrency", 4).put("minInstances", 1).put("maxInstances", 1);
        spec.putObject("limits").put("memory", "256m");
        return spec;
    }

    private static String text(byte[] body) {
        return body == null ? "" : new String(body, StandardCharsets.UTF_8);
    }

    /** A call to the node's API; its JSON answer, or a failure naming the call. */
    private JsonNode call(NodeBenchmark.RunningNode node, String method, String path, String type, String body) throws Exception {
        return node.api(http, method, path, type, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }
}
