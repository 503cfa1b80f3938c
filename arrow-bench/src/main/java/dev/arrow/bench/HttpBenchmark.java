package dev.arrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.BundlePacker;
import dev.arrow.runtime.bundle.BundleUnpacker;
import dev.arrow.runtime.instances.ReadinessPolling;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code arrow bench http}: a warm http-mode instance through the node's gateway against the same
 * app called directly on its port, in one run: latency (sequential requests, alternating between
 * the two) and throughput (the same concurrent load on each), and what an idle instance costs
 * beyond the app's own memory; where nginx is installed, the same load through it as a reference
 * proxy ({@link ReferenceNginx}). Then cold starts, in turns: the app forked and exec'd by this JVM,
 * waited for and asked once, against the first request through the gateway of a node with its
 * prewarm pool and of one without.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
        description = "Warm http-mode latency and throughput through the gateway vs the app called directly;"
                + " cold starts through the gateway with and without the prewarm pool vs a fork+exec of the app.")
final class HttpBenchmark implements Callable<Integer> {

    private static final String MARKER = "arrow-bench-app";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, List<String>> APPS = Map.of(
            "python", List.of("python3", "-c", """
                    import http.server, os  # %s
                    class H(http.server.BaseHTTPRequestHandler):
                        protocol_version = "HTTP/1.1"
                        disable_nagle_algorithm = True  # headers and body go out as separate writes
                        def log_message(self, *a): pass
                        def do_GET(self):
                            self.send_response(200)
                            self.send_header("Content-Length", "2")
                            self.end_headers()
                            self.wfile.write(b"ok")
                    http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
                    """.formatted(MARKER)),
            "node", List.of("node", "-e", """
                    // %s
                    require('http').createServer((q, s) => s.end('ok')).listen(+process.env.PORT);
                    """.formatted(MARKER)));

    @Option(names = "-n", description = "Sequential requests for the latency (default: ${DEFAULT-VALUE}).")
    int runs = 2000;

    @Option(names = "--total", description = "Requests of the throughput load (default: ${DEFAULT-VALUE}).")
    int total = 20000;

    @Option(names = "--concurrency", description = "Clients of the throughput load (default: ${DEFAULT-VALUE}).")
    int concurrency = 8;

    @Option(names = "--rounds", description = "Rounds of the throughput loads, each direct, through the gateway and"
            + " through nginx in turn; the ratios are the medians of each round's own (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--app", description = "python or node (default: ${DEFAULT-VALUE}).")
    String app = "python";

    @Option(names = "--cold", description = "Cold starts timed each way (default: ${DEFAULT-VALUE}).")
    int coldRuns = 20;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public Integer call() throws Exception {
        List<String> command = APPS.get(app);
        if (command == null) {
            throw new IllegalArgumentException("--app must be python or node");
        }
        command = withSystemProgram(command);
        if (runs < 1 || total < 1 || concurrency < 1 || coldRuns < 1 || rounds < 1) {
            throw new IllegalArgumentException("-n, --total, --concurrency, --rounds and --cold must be at least 1");
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PORT", Integer.toString(port));
        Process direct = builder.start();
        try (var node = NodeBenchmark.RunningNode.start()) {
            awaitPort(port);
            URI directUri = URI.create("http://127.0.0.1:" + port + "/");
            URI gatewayUri = node.base.resolve("/a/bench/");
            deploy(node, warmSpec(command, concurrency));
            long[] viaDirect = new long[runs];
            long[] viaNode = new long[runs];
            try (var toNode = new KeepAliveClient(gatewayUri); var toApp = new KeepAliveClient(directUri)) {
                for (int i = 0; i < 3000; i++) { // the instance started, the JITs at work
                    timed(toNode);
                    timed(toApp);
                }
                load(20_000, gatewayUri); // the node's hot paths compiled, as on a busy node
                for (int i = 0; i < runs; i++) {
                    if (i % 2 == 0) {
                        viaNode[i] = timed(toNode);
                        viaDirect[i] = timed(toApp);
                    } else {
                        viaDirect[i] = timed(toApp);
                        viaNode[i] = timed(toNode);
                    }
                }
            }
            Throughput throughput = throughput(port, directUri, gatewayUri);
            Timings d = new Timings(viaDirect);
            Timings n = new Timings(viaNode);
            long[] memory = instanceMemory();
            System.out.printf(Locale.ROOT, "app: %s, one instance serving %d at once%n", app, concurrency);
            System.out.printf(Locale.ROOT, "direct to the app         %8.3f ms median  %8.3f ms p99  (n=%d)%n", d.medianMillis(), d.p99Millis(), runs);
            System.out.printf(Locale.ROOT, "through the gateway       %8.3f ms median  %8.3f ms p99  (n=%d)%n", n.medianMillis(), n.p99Millis(), runs);
            System.out.printf(Locale.ROOT, "added by the node         %8.3f ms median  (goal: under 0.2)%n", n.medianMillis() - d.medianMillis());
            System.out.printf(Locale.ROOT, "throughput direct         %8.0f requests/s  (%d clients, %d requests, median of %d rounds)%n",
                    Timings.median(throughput.direct()), concurrency, total, rounds);
            System.out.printf(Locale.ROOT, "throughput via gateway    %8.0f requests/s  (%.0f%% of direct%s; goal: at least 60%%)%n",
                    Timings.median(throughput.gateway()), 100 * Timings.medianRatio(throughput.gateway(), throughput.direct()),
                    Timings.eachRound(throughput.gateway(), throughput.direct()));
            if (throughput.nginx().isPresent()) {
                double[] nginx = throughput.nginx().get();
                System.out.printf(Locale.ROOT,
                        "throughput via nginx      %8.0f requests/s  (%.0f%% of direct%s; the gateway: %.0f%% of nginx)%n",
                        Timings.median(nginx), 100 * Timings.medianRatio(nginx, throughput.direct()), Timings.eachRound(nginx, throughput.direct()),
                        100 * Timings.medianRatio(throughput.gateway(), nginx));
            } else {
                System.out.println("throughput via nginx      skipped: nginx is not installed or did not start (an optional reference)");
            }
            System.out.printf(Locale.ROOT, "idle instance: app RSS %.1f MiB, sandbox beyond it (supervisor + init) %.1f MiB%n",
                    memory[0] / 1048576.0, memory[1] / 1048576.0);
            System.out.flush();
            // Its warm instance would count among the instances awaited to stop below.
            HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(node.base.resolve("/v1/arrows/bench"))
                    .header("Authorization", "Bearer " + node.token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            if (deleted.statusCode() / 100 != 2) {
                throw new IOException("delete answered " + deleted.statusCode() + ": " + deleted.body());
            }
            coldStarts(command, node);
        } finally {
            direct.destroy();
            direct.waitFor();
        }
        return 0;
    }

    /** Requests per second of each round; nginx's when it ran. */
    private record Throughput(double[] direct, double[] gateway, Optional<double[]> nginx) {
    }

    /**
     * The same load direct, through the gateway and, if the host has nginx, through nginx in front
     * of the app (what a plain reverse proxy keeps of direct throughput on this machine), in turns
     * within each round: a machine that slows between rounds moves the three together, and each
     * ratio is taken within its round.
     */
    private Throughput throughput(int appPort, URI directUri, URI gatewayUri) throws Exception {
        Optional<ReferenceNginx> proxy;
        try {
            proxy = ReferenceNginx.proxy(appPort);
        } catch (IOException e) {
            System.err.println("arrow bench http: the reference proxy: " + e.getMessage());
            proxy = Optional.empty(); // optional: the gateway's figures stand without it
        }
        double[] direct = new double[rounds];
        double[] gateway = new double[rounds];
        double[] nginx = new double[rounds];
        try {
            if (proxy.isPresent()) {
                load(Math.min(total, 3000), proxy.get().uri); // its upstream connections opened
            }
            for (int round = 0; round < rounds; round++) {
                direct[round] = load(total, directUri);
                gateway[round] = load(total, gatewayUri);
                if (proxy.isPresent()) {
                    nginx[round] = load(total, proxy.get().uri);
                }
            }
        } finally {
            if (proxy.isPresent()) {
                proxy.get().close();
            }
        }
        return new Throughput(direct, gateway, proxy.map(started -> nginx));
    }

    /**
     * How an app is started directly and deployed: the benchmark's app, and Arrow's shell runtime
     * (a small C server) whose start takes about a millisecond, so that what the node adds to a
     * cold start stands out of the app's own start-up noise.
     */
    private record ColdApp(String label, List<String> command, Map<String, String> env, Path dir, ObjectNode deploy) {
    }

    /**
     * Each turn, for each app: the app forked and exec'd here, its port tried on the node's
     * readiness schedule, one request; then one cold request through each node's gateway (a new
     * revision each turn, so that no instance is warm). Each is timed with nothing else running:
     * the old instances gone and the pool refilled first.
     */
    private void coldStarts(List<String> command, NodeBenchmark.RunningNode pooled) throws Exception {
        Path shellDir = Files.createTempDirectory("arrow-bench-shell");
        try (var unpooled = NodeBenchmark.RunningNode.start("--prewarm", "0")) {
            var apps = new ArrayList<ColdApp>();
            ObjectNode appFields = JSON.createObjectNode();
            command.forEach(appFields.putArray("command")::add);
            apps.add(new ColdApp(app, command, Map.of(), null, appFields));
            shellApp(shellDir, pooled, unpooled).ifPresent(apps::add);
            int poolSize = (int) metric(pooled, "arrow_prewarm_target");
            long[][][] times = new long[apps.size()][3][coldRuns];
            for (int i = -2; i < coldRuns; i++) { // two turns of warm-up
                for (int a = 0; a < apps.size(); a++) {
                    ColdApp cold = apps.get(a);
                    redeploy(pooled, cold, i);
                    redeploy(unpooled, cold, i);
                    awaitQuiet(pooled, 0, poolSize);
                    awaitQuiet(unpooled, 0, 0);
                    long direct = directColdStart(cold);
                    long first = coldRequest(pooled);
                    awaitQuiet(pooled, 1, poolSize); // the instance just started stays warm
                    long second = coldRequest(unpooled);
                    if (i >= 0) {
                        times[a][0][i] = direct;
                        times[a][1][i] = first;
                        times[a][2][i] = second;
                    }
                }
            }
            for (int a = 0; a < apps.size(); a++) {
                Timings base = new Timings(times[a][0]);
                Timings pool = new Timings(times[a][1]);
                Timings cold = new Timings(times[a][2]);
                System.out.printf(Locale.ROOT, "cold start of %s to its first answer (n=%d each, in turns)%n",
                        apps.get(a).label(), coldRuns);
                System.out.printf(Locale.ROOT, "fork+exec of the app      %8.3f ms median  %8.3f ms p99%n", base.medianMillis(), base.p99Millis());
                System.out.printf(Locale.ROOT, "gateway, prewarm pool     %8.3f ms median  %8.3f ms p99  (+%.3f ms; goal: under 1)%n",
                        pool.medianMillis(), pool.p99Millis(), pool.medianMillis() - base.medianMillis());
                System.out.printf(Locale.ROOT, "gateway, no pool          %8.3f ms median  %8.3f ms p99  (+%.3f ms)%n",
                        cold.medianMillis(), cold.p99Millis(), cold.medianMillis() - base.medianMillis());
            }
        } finally {
            BundleUnpacker.deleteTree(shellDir);
        }
    }

    /** The shell runtime with a one-line handler, uploaded to both nodes; empty when its binary is not built. */
    private Optional<ColdApp> shellApp(Path dir, NodeBenchmark.RunningNode... nodes) throws Exception {
        String binary = System.getProperty("arrow.shellRuntime");
        if (binary == null || !Files.isExecutable(Path.of(binary))) {
            System.err.println("arrow bench http: no shell runtime binary (-Darrow.shellRuntime); its cold start is skipped");
            return Optional.empty();
        }
        Files.writeString(dir.resolve("handler.sh"), "#!/bin/sh\nprintf ok\n");
        Files.setPosixFilePermissions(dir.resolve("handler.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        var packed = new java.io.ByteArrayOutputStream();
        BundlePacker.pack(dir, packed);
        String digest = null;
        for (NodeBenchmark.RunningNode node : nodes) {
            HttpResponse<String> uploaded = http.send(HttpRequest.newBuilder(node.base.resolve("/v1/bundles"))
                    .header("Authorization", "Bearer " + node.token).header("Content-Type", "application/gzip")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(packed.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
            if (uploaded.statusCode() / 100 != 2) {
                throw new IOException("bundle upload answered " + uploaded.statusCode() + ": " + uploaded.body());
            }
            digest = JSON.readTree(uploaded.body()).path("digest").asText();
        }
        ObjectNode fields = JSON.createObjectNode().put("runtime", "shell").put("handler", "handler.sh").put("bundle", digest);
        return Optional.of(new ColdApp("the shell runtime (C)", List.of(binary), Map.of("ARROW_HANDLER", "handler.sh"), dir, fields));
    }

    /**
     * The app with its interpreter as a sandbox finds it, in the system's directories: the same
     * program both ways (this user's PATH may lead to a wrapper, e.g. a version manager's shim).
     */
    private static List<String> withSystemProgram(List<String> command) throws IOException {
        for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
            Path program = Path.of(dir, command.getFirst());
            if (Files.isExecutable(program)) {
                var resolved = new ArrayList<>(command);
                resolved.set(0, program.toString());
                return List.copyOf(resolved);
            }
        }
        throw new IOException(command.getFirst() + " is not installed in /usr/local/bin, /usr/bin or /bin");
    }

    /** Nanoseconds from a fork+exec of the app to the end of its first answer. */
    private static long directColdStart(ColdApp cold) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        var builder = new ProcessBuilder(cold.command()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (cold.dir() != null) {
            builder.directory(cold.dir().toFile());
        }
        // The environment a sandbox gives, not this shell's: e.g. NODE_EXTRA_CA_CERTS alone
        // costs node tens of milliseconds at start.
        builder.environment().clear();
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
        builder.environment().put("HOME", "/tmp");
        builder.environment().putAll(cold.env());
        builder.environment().put("PORT", Integer.toString(port));
        long start = System.nanoTime();
        Process app = builder.start();
        try {
            var address = new InetSocketAddress("127.0.0.1", port);
            while (true) {
                try (Socket probe = new Socket()) {
                    probe.connect(address);
                    break;
                } catch (IOException e) {
                    if (!app.isAlive() || System.nanoTime() - start > Duration.ofSeconds(30).toNanos()) {
                        throw new IOException("the app never listened on " + port);
                    }
                    LockSupport.parkNanos(ReadinessPolling.pauseNanos(System.nanoTime() - start));
                }
            }
            String answer = rawGet(address, "/");
            long took = System.nanoTime() - start;
            if (!answer.startsWith("HTTP/1.1 200")) {
                throw new IOException("the app answered " + answer.lines().findFirst().orElse(""));
            }
            return took;
        } finally {
            app.destroy();
            app.waitFor();
        }
    }

    /** Nanoseconds of one request through the gateway that must start an instance. */
    private static long coldRequest(NodeBenchmark.RunningNode node) throws Exception {
        var address = new InetSocketAddress(node.base.getHost(), node.base.getPort());
        long start = System.nanoTime();
        String answer = rawGet(address, "/a/cold/");
        long took = System.nanoTime() - start;
        if (!answer.startsWith("HTTP/1.1 200")) {
            throw new IOException("the gateway answered " + answer.lines().findFirst().orElse(""));
        }
        if (!answer.toLowerCase(Locale.ROOT).contains("x-arrow-cold: true")) {
            throw new IOException("a request meant to start an instance found one warm");
        }
        return took;
    }

    /** A GET on a new connection, as a first visitor makes it; the whole answer. */
    private static String rawGet(InetSocketAddress address, String path) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            socket.connect(address);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** A new revision of the arrow "cold" (a turn number in its env), so the next request starts an instance. */
    private void redeploy(NodeBenchmark.RunningNode node, ColdApp cold, int turn) throws Exception {
        ObjectNode json = JSON.createObjectNode();
        json.put("name", "cold");
        json.put("mode", "http");
        json.setAll(cold.deploy());
        json.putObject("env").put("TURN", Integer.toString(turn));
        json.putObject("scaling").put("maxInstances", 1);
        json.putObject("limits").put("memory", "256m").put("cpus", 2);
        deploy(node, json);
    }

    /** Waits until the node runs {@code instances} instances and its pool holds {@code poolSize} ready sandboxes. */
    private void awaitQuiet(NodeBenchmark.RunningNode node, int instances, int poolSize) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (metric(node, "arrow_instances") != instances || metric(node, "arrow_prewarm_ready") < poolSize) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the node's old instances did not stop, or its pool did not refill, within 30 s: "
                        + metric(node, "arrow_instances") + " instances, " + metric(node, "arrow_prewarm_ready")
                        + " of " + poolSize + " prewarmed sandboxes ready");
            }
            Thread.sleep(10); // a scrape of /metrics costs the node a little CPU
        }
        Thread.sleep(20); // the retired sandbox's cgroup and namespaces are torn down just after it ends
    }

    private double metric(NodeBenchmark.RunningNode node, String series) throws Exception {
        String text = http.send(HttpRequest.newBuilder(node.base.resolve("/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1)))
                .orElseThrow(() -> new IOException("the node's /metrics has no " + series));
    }

    /** The benchmark's warm arrow: the app in http mode, one instance serving {@code concurrency} at once. */
    private static ObjectNode warmSpec(List<String> command, int concurrency) {
        ObjectNode json = JSON.createObjectNode();
        json.put("name", "bench");
        json.put("mode", "http");
        command.forEach(json.putArray("command")::add);
        json.putObject("scaling").put("concurrency", concurrency).put("maxInstances", 1).put("minInstances", 1);
        json.putObject("limits").put("memory", "256m").put("cpus", 2);
        return json;
    }

    private void deploy(NodeBenchmark.RunningNode node, ObjectNode spec) throws Exception {
        HttpResponse<String> deployed = http.send(HttpRequest.newBuilder(node.base.resolve("/v1/arrows"))
                .header("Authorization", "Bearer " + node.token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(spec.toString())).build(), HttpResponse.BodyHandlers.ofString());
        if (deployed.statusCode() != 201) {
            throw new IOException("deploy answered " + deployed.statusCode() + ": " + deployed.body());
        }
    }


    /** Nanoseconds of one GET that must answer 200. */
    private static long timed(KeepAliveClient client) throws IOException {
        long start = System.nanoTime();
        int status = client.send();
        if (status != 200) {
            throw new IOException("answered " + status);
        }
        return System.nanoTime() - start;
    }

    /** Requests per second of {@code count} requests from {@code concurrency} kept-alive connections. */
    private double load(int count, URI uri) throws Exception {
        var next = new AtomicInteger();
        var failures = new AtomicInteger();
        long start = System.nanoTime();
        try (var clients = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                futures.add(clients.submit(() -> {
                    try (var client = new KeepAliveClient(uri)) {
                        while (next.getAndIncrement() < count) {
                            try {
                                timed(client);
                            } catch (IOException e) {
                                failures.incrementAndGet();
                            }
                        }
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        }
        if (failures.get() > 0) {
            throw new IOException(failures.get() + " of " + count + " requests to " + uri + " failed");
        }
        return (count - failures.get()) / ((System.nanoTime() - start) / 1e9);
    }

    /** {app RSS, supervisor + init RSS} of the sandboxed app: the one whose parent is a sandbox's init. */
    private static long[] instanceMemory() throws IOException {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = Files.readString(proc.resolve("cmdline"));
                    long ppid = field(proc, "PPid:");
                    if (!cmdline.contains(MARKER) || !Files.readString(Path.of("/proc", Long.toString(ppid), "comm")).strip().equals("arrow-init")) {
                        continue;
                    }
                    long supervisor = field(Path.of("/proc", Long.toString(ppid)), "PPid:");
                    return new long[] {field(proc, "VmRSS:") * 1024,
                            (field(Path.of("/proc", Long.toString(ppid)), "VmRSS:") + field(Path.of("/proc", Long.toString(supervisor)), "VmRSS:")) * 1024};
                } catch (IOException | RuntimeException e) {
                    // a process that ended while we looked
                }
            }
        }
        return new long[] {0, 0};
    }

    private static long field(Path proc, String name) throws IOException {
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException(name + " missing in " + proc);
    }

    static void awaitPort(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IOException("nothing listened on " + port + " within 10 s");
    }
}
