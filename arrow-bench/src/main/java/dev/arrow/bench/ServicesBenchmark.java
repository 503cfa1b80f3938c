package dev.arrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.BundlePacker;
import dev.arrow.runtime.bundle.BundleUnpacker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code arrow bench services}: the node's services against what a user would pick instead, in one
 * run, in turns. Key-value gets and puts and queue cycles, each from inside a sandbox (an exec
 * arrow running {@link ServiceLoad} on the node's Unix socket, with its own token) and from the
 * host over the REST API (the same load in a JVM of its own), next to Redis with redis-benchmark's
 * same clients; then an object's GET and PUT through the S3 listener next to nginx and cp
 * ({@link ObjectTransfers}).
 */
@Command(name = "services", mixinStandardHelpOptions = true, sortOptions = false,
        description = "KV, queues and objects through the socket and REST, next to Redis, nginx and cp.")
final class ServicesBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LOAD_ARROW = "bench-load";

    @Option(names = "--clients", paramLabel = "C", defaultValue = "8",
            description = "Clients of every load, Redis's included (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "20000",
            description = "Requests of each key-value load (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--queue-requests", paramLabel = "N", defaultValue = "4000",
            description = "Send-receive-delete cycles of each queue load (default: ${DEFAULT-VALUE}).")
    int queueRequests;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "3",
            description = "Rounds, each running every way once, in turns (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--object-size", paramLabel = "SIZE", defaultValue = "256m",
            description = "Size of the object sent and fetched through the S3 listener; 0 skips it (default: ${DEFAULT-VALUE}).")
    String objectSize;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The ways a load is run: key-value and queue operations through either door. */
    private enum Way {
        REDIS_GET("Redis GET (as shipped)"),
        SOCKET_GET("KV get, socket, in a sandbox"),
        REST_GET("KV get, REST"),
        REDIS_SET("Redis SET (as shipped)"),
        REDIS_SET_FSYNC("Redis SET, appendfsync always"),
        SOCKET_PUT("KV put, socket, in a sandbox"),
        REST_PUT("KV put, REST"),
        SOCKET_QUEUE("queue send+receive+delete, socket"),
        REST_QUEUE("queue send+receive+delete, REST");

        final String label;

        Way(String label) {
            this.label = label;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || requests < clients || queueRequests < clients || rounds < 1) {
            throw new IllegalArgumentException("--clients, --rounds must be at least 1, and --requests and --queue-requests at least --clients");
        }
        long objectBytes = ObjectTransfers.parseSize(objectSize);
        Optional<ReferenceRedis> plain = ReferenceRedis.start(false);
        Optional<ReferenceRedis> durable = plain.isPresent() ? ReferenceRedis.start(true) : Optional.empty();
        if (plain.isEmpty()) {
            System.out.println("Redis: skipped, redis-server or redis-benchmark is not installed (Debian's redis-server, redis-tools)");
        }
        Path classes = Files.createTempDirectory("arrow-bench-load");
        try (var node = NodeBenchmark.RunningNode.start(true)) { // its S3 listener on a port of its own
            copyLoadClasses(classes);
            prepare(node, classes);
            Map<Way, double[]> rates = new LinkedHashMap<>();
            for (Way way : Way.values()) {
                rates.put(way, new double[rounds]);
            }
            // One pass of each load, not counted: the node's hot paths compiled, as on a busy node.
            for (String op : List.of("kv_get", "kv_put", "queue_cycle")) {
                int warmUp = Math.max(clients, (op.equals("queue_cycle") ? queueRequests : requests) / 4);
                inSandbox(node, op, warmUp);
                overRest(node, classes, op, warmUp);
            }
            for (int round = 0; round < rounds; round++) {
                if (plain.isPresent()) {
                    Map<String, Double> redis = plain.get().rates(clients, requests, ServiceLoad.VALUE_BYTES, "set", "get");
                    rates.get(Way.REDIS_GET)[round] = redis.getOrDefault("get", Double.NaN);
                    rates.get(Way.REDIS_SET)[round] = redis.getOrDefault("set", Double.NaN);
                    rates.get(Way.REDIS_SET_FSYNC)[round] = durable.get().rates(clients, requests, ServiceLoad.VALUE_BYTES, "set")
                            .getOrDefault("set", Double.NaN);
                }
                rates.get(Way.SOCKET_GET)[round] = inSandbox(node, "kv_get", requests);
                rates.get(Way.REST_GET)[round] = overRest(node, classes, "kv_get", requests);
                rates.get(Way.SOCKET_PUT)[round] = inSandbox(node, "kv_put", requests);
                rates.get(Way.REST_PUT)[round] = overRest(node, classes, "kv_put", requests);
                rates.get(Way.SOCKET_QUEUE)[round] = inSandbox(node, "queue_cycle", queueRequests);
                rates.get(Way.REST_QUEUE)[round] = overRest(node, classes, "queue_cycle", queueRequests);
            }
            report(rates, plain.isPresent());
            if (objectBytes > 0) {
                new ObjectTransfers(node, http, objectBytes, rounds).run();
            }
        } finally {
            BundleUnpacker.deleteTree(classes);
            if (plain.isPresent()) {
                plain.get().close();
            }
            if (durable.isPresent()) {
                durable.get().close();
            }
        }
        return 0;
    }

    private void report(Map<Way, double[]> rates, boolean withRedis) {
        System.out.printf(Locale.ROOT, "%d clients each way, no pipelining, %d-byte values; medians of %d rounds, in operations/s%n",
                clients, ServiceLoad.VALUE_BYTES, rounds);
        for (var entry : rates.entrySet()) {
            Way way = entry.getKey();
            double[] rate = entry.getValue();
            if (!withRedis && way.name().startsWith("REDIS")) {
                continue;
            }
            String versus = switch (way) {
                case SOCKET_GET, REST_GET -> withRedis ? ratio(rate, rates.get(Way.REDIS_GET), "Redis GET", "goal: at least 50%") : "";
                case SOCKET_PUT, REST_PUT -> withRedis ? ratio(rate, rates.get(Way.REDIS_SET), "Redis SET", "goal: at least 25%")
                        + "; " + ratio(rate, rates.get(Way.REDIS_SET_FSYNC), "fsync'd SET", null) : "";
                case SOCKET_QUEUE -> ratio(rate, rates.get(Way.REST_QUEUE), "REST", null);
                default -> "";
            };
            System.out.printf(Locale.ROOT, "%-38s %9.0f%s%n", way.label, Timings.median(rate),
                    versus.isEmpty() ? "" : "  (" + versus + ")");
        }
        System.out.flush();
    }

    private static String ratio(double[] part, double[] whole, String of, String goal) {
        return String.format(Locale.ROOT, "%.0f%% of %s%s%s", 100 * Timings.medianRatio(part, whole), of,
                Timings.eachRound(part, whole), goal == null ? "" : "; " + goal);
    }

    /** The store's keys written, the queue made, and the load's arrow deployed with its bindings. */
    private void prepare(NodeBenchmark.RunningNode node, Path classes) throws Exception {
        URI base = node.base;
        try (var connection = new ServiceLoad.Connection(new InetSocketAddress(base.getHost(), base.getPort()), node.token)) {
            for (int i = 0; i < ServiceLoad.KEYS; i++) {
                var answer = connection.exchange("PUT", "/v1/kv/" + ServiceLoad.STORE + "/keys/k" + i, ServiceLoad.value(i));
                if (answer.status() != 201) {
                    throw new IOException("writing the benchmark's keys answered " + answer.status() + ": "
                            + new String(answer.body(), StandardCharsets.UTF_8));
                }
            }
            var queue = connection.exchange("PUT", "/v1/queues/" + ServiceLoad.QUEUE, new byte[0]);
            if (queue.status() / 100 != 2) {
                throw new IOException("making the benchmark's queue answered " + queue.status());
            }
        }
        var packed = new ByteArrayOutputStream();
        BundlePacker.pack(classes, packed);
        JsonNode bundle = call(node, "POST", "/v1/bundles", "application/gzip", packed.toByteArray());
        ObjectNode spec = JSON.createObjectNode().put("name", LOAD_ARROW).put("bundle", bundle.path("digest").asText())
                .put("network", "none");
        var command = spec.putArray("command");
        javaCommand(Path.of("/code")).forEach(command::add);
        spec.putObject("limits").put("memory", "512m").put("cpus", 2.0).put("pids", 512).put("timeout", "10m");
        ObjectNode bindings = spec.putObject("bindings");
        bindings.putArray("kv").add(ServiceLoad.STORE);
        bindings.putArray("queues").add(ServiceLoad.QUEUE);
        call(node, "POST", "/v1/arrows", "application/json", JSON.writeValueAsBytes(spec));
    }

    /** The JVM of the load, the same inside the sandbox and on the host. */
    static List<String> javaCommand(Path classes) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xshare:auto", "-cp", classes.toString(),
                ServiceLoad.class.getName());
    }

    /** Operations per second of the load run by the arrow, inside its sandbox, on the node's socket. */
    private double inSandbox(NodeBenchmark.RunningNode node, String op, int total) throws Exception {
        String body = op + " " + clients + " " + total / clients;
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(node.base.resolve("/v1/arrows/" + LOAD_ARROW + "/invoke"))
                .header("Authorization", "Bearer " + node.token).timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new ProcessFailedException("the load in the sandbox failed (" + answer.statusCode() + "): " + answer.body());
        }
        return rateOf(answer.body(), "the socket's " + op);
    }

    private double overRest(NodeBenchmark.RunningNode node, Path classes, String op, int total) throws Exception {
        return overRest(node, classes, op, clients, total);
    }

    /** Operations per second of the load run on the host, over the node's TCP API, in a JVM of its own. */
    static double overRest(NodeBenchmark.RunningNode node, Path classes, String op, int clients, int total) throws Exception {
        var argv = new ArrayList<>(javaCommand(classes));
        argv.addAll(List.of("tcp:" + node.base.getHost() + ":" + node.base.getPort(), op, Integer.toString(clients),
                Integer.toString(total / clients)));
        var builder = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("ARROW_TOKEN", node.token);
        Process process = builder.start();
        String out;
        try (InputStream in = process.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (process.waitFor() != 0) {
            throw new ProcessFailedException("the load over REST exited with status " + process.exitValue() + ": " + out.strip());
        }
        return rateOf(out, "REST's " + op);
    }

    static double rateOf(String result, String what) throws IOException, ProcessFailedException {
        JsonNode json = JSON.readTree(result.strip());
        if (json.path("errors").asLong() > 0) {
            throw new ProcessFailedException(what + " load had " + json.path("errors").asLong() + " errors, the first: "
                    + json.path("firstError").asText());
        }
        return json.path("perSecond").asDouble();
    }

    private JsonNode call(NodeBenchmark.RunningNode node, String method, String path, String type, byte[] body) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(node.base.resolve(path))
                .header("Authorization", "Bearer " + node.token).header("Content-Type", type)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() / 100 != 2) {
            throw new IOException(method + " " + path + " answered " + answer.statusCode() + ": " + answer.body());
        }
        return JSON.readTree(answer.body());
    }

    /** ServiceLoad's class files (and only those: the load needs nothing but the JDK) under {@code dir}. */
    static void copyLoadClasses(Path dir) throws Exception {
        String prefix = ServiceLoad.class.getName().replace('.', '/');
        Path source = Path.of(ServiceLoad.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path target = dir.resolve(prefix).getParent();
        Files.createDirectories(target);
        if (Files.isDirectory(source)) {
            try (var files = Files.list(source.resolve(prefix).getParent())) {
                for (Path file : files.toList()) {
                    String name = file.getFileName().toString();
                    if (name.equals("ServiceLoad.class") || name.startsWith("ServiceLoad$")) {
                        Files.copy(file, target.resolve(name));
                    }
                }
            }
            return;
        }
        try (var jar = new JarFile(source.toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                if (name.equals(prefix + ".class") || name.startsWith(prefix + "$")) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        Files.copy(in, dir.resolve(name));
                    }
                }
            }
        }
    }
}
