package dev.arrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.runtime.bundle.BundleUnpacker;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code arrow bench events}: events accepted per second at {@code /v1/events} (each on disk before
 * its 202), the time from posting an event to a warm http arrow's first byte of work next to the
 * same request through the gateway, in turns, and how close to their time schedules fire.
 *
 * <p>The arrow notes when a request reached it (the wall clock, in nanoseconds) in a KV store,
 * through the node's socket, after it took that time: the note's own cost is not measured. The
 * bench runs on the same machine and clock.
 */
@Command(name = "events", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Events accepted per second; an event to a warm arrow vs the gateway; schedule accuracy.")
final class EventsBenchmark implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STORE = "benchev";
    private static final String LATENCY_TYPE = "dev.arrow.bench.latency";

    @Option(names = "--clients", paramLabel = "C", defaultValue = "8", description = "Clients posting events (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--events", paramLabel = "N", defaultValue = "8000", description = "Events posted per round (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "3", description = "Rounds of the accept load (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "-n", paramLabel = "N", defaultValue = "200",
            description = "Events, and as many gateway requests, timed to the arrow (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--schedule-seconds", paramLabel = "S", defaultValue = "20",
            description = "How long an every-second schedule runs for its accuracy (default: ${DEFAULT-VALUE}).")
    int scheduleSeconds;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The arrow: notes the wall-clock time a request reached it, under the request's event id. */
    private static final String APP = """
            import http.server, os, socket, time, urllib.parse
            SOCKET = os.environ["ARROW_API_SOCKET"]
            TOKEN = os.environ["ARROW_TOKEN"]
            def note(key, value):
                body = str(value).encode()
                s = socket.socket(socket.AF_UNIX)
                s.connect(SOCKET)
                s.sendall(("PUT /v1/kv/%s/keys/%s HTTP/1.1\\r\\nHost: arrow\\r\\nAuthorization: Bearer %s\\r\\n"
                           "Content-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % ("STORE", urllib.parse.quote(key, safe="/"),
                                                                               TOKEN, len(body))).encode() + body)
                while s.recv(65536):
                    pass
                s.close()
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                disable_nagle_algorithm = True
                def log_message(self, *a): pass
                def do_POST(self):
                    arrived = time.time_ns()
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    note(self.headers.get("ce-id") or "none", arrived)
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
            http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
            """.replace("\"STORE\"", "\"" + STORE + "\"");

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || events < clients || rounds < 1 || samples < 1 || scheduleSeconds < 3) {
            throw new IllegalArgumentException("--clients, --rounds and -n must be at least 1, --events at least --clients,"
                    + " --schedule-seconds at least 3");
        }
        Path classes = Files.createTempDirectory("arrow-bench-load");
        try (var node = NodeBenchmark.RunningNode.start()) {
            ServicesBenchmark.copyLoadClasses(classes);
            double[] accepted = new double[rounds];
            ServicesBenchmark.overRest(node, classes, "event_post", clients, Math.min(events, 2000)); // the JIT at work
            for (int round = 0; round < rounds; round++) {
                accepted[round] = ServicesBenchmark.overRest(node, classes, "event_post", clients, events);
            }
            System.out.printf(Locale.ROOT, "%-44s %9.0f/s  (%d clients, structured mode, median of %d rounds)%n",
                    "events accepted at /v1/events, durably", Timings.median(accepted), clients, rounds);
            System.out.flush();
            latency(node);
            scheduleAccuracy(node);
        } finally {
            BundleUnpacker.deleteTree(classes);
        }
        return 0;
    }

    /** An event to the warm arrow against the same request through the gateway, alternating. */
    private void latency(NodeBenchmark.RunningNode node) throws Exception {
        ObjectNode spec = arrowSpec("bench-events");
        spec.putArray("triggers").addObject().putObject("event").put("type", LATENCY_TYPE);
        call(node, "POST", "/v1/arrows", "application/json", spec.toString().getBytes(StandardCharsets.UTF_8));
        long nonce = System.nanoTime();
        for (int i = 0; i < 50; i++) { // the instance started, the paths warm
            viaEvent(node, "warm-e-" + nonce + "-" + i);
            viaGateway(node, "warm-g-" + nonce + "-" + i);
        }
        long[] posted = new long[samples];
        long[] accepted = new long[samples];
        long[] gateway = new long[samples];
        for (int i = 0; i < samples; i++) {
            if (i % 2 == 0) {
                long[] event = viaEvent(node, "e-" + nonce + "-" + i);
                posted[i] = event[0];
                accepted[i] = event[1];
                gateway[i] = viaGateway(node, "g-" + nonce + "-" + i);
            } else {
                gateway[i] = viaGateway(node, "g-" + nonce + "-" + i);
                long[] event = viaEvent(node, "e-" + nonce + "-" + i);
                posted[i] = event[0];
                accepted[i] = event[1];
            }
        }
        var p = new Timings(posted);
        var a = new Timings(accepted);
        var g = new Timings(gateway);
        System.out.printf(Locale.ROOT, "%-44s %9.3f ms median  %8.3f ms p99  (n=%d)%n", "event posted -> the warm arrow's first byte",
                p.medianMillis(), p.p99Millis(), samples);
        System.out.printf(Locale.ROOT, "%-44s %9.3f ms median  %8.3f ms p99  (negative: the arrow ran before the 202 came back)%n",
                "event's 202 in -> the first byte", a.medianMillis(), a.p99Millis());
        System.out.printf(Locale.ROOT, "%-44s %9.3f ms median  %8.3f ms p99%n", "the same arrow through the gateway",
                g.medianMillis(), g.p99Millis());
        System.out.printf(Locale.ROOT, "%-44s %9.3f ms  (goal: under 2; the event's synced store included)%n",
                "added by the broker, at the median", p.medianMillis() - g.medianMillis());
        System.out.flush();
    }

    /**
     * Nanoseconds from posting event {@code id} (binary mode) to the arrow's note of it, and from
     * its acceptance (the 202 in) to the note; the latter may be negative when the arrow ran first.
     */
    private long[] viaEvent(NodeBenchmark.RunningNode node, String id) throws Exception {
        long sent = wallNanos();
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(node.base.resolve("/v1/events"))
                .header("Authorization", "Bearer " + node.token).header("ce-specversion", "1.0").header("ce-id", id)
                .header("ce-source", "/bench").header("ce-type", LATENCY_TYPE).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        if (posted.statusCode() != 202) {
            throw new IOException("POST /v1/events answered " + posted.statusCode() + ": " + posted.body());
        }
        long accepted = wallNanos();
        long noted = noted(node, id);
        return new long[] {noted - sent, noted - accepted};
    }

    /** Nanoseconds from sending the same request through the gateway to the arrow's note of it. */
    private long viaGateway(NodeBenchmark.RunningNode node, String id) throws Exception {
        long sent = wallNanos();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(node.base.resolve("/a/bench-events/"))
                .header("ce-id", id).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException("the gateway answered " + answer.statusCode() + ": " + answer.body());
        }
        return noted(node, id) - sent;
    }

    /** The time the arrow noted for {@code key}, once it is there (at most 10 s). */
    private long noted(NodeBenchmark.RunningNode node, String key) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        URI uri = node.base.resolve("/v1/kv/" + STORE + "/keys/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/"));
        while (true) {
            HttpResponse<String> got = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + node.token)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (got.statusCode() == 200) {
                return Long.parseLong(got.body().strip());
            }
            if (got.statusCode() != 404 || System.nanoTime() > deadline) {
                throw new IOException("the arrow's note of " + key + ": " + got.statusCode() + " " + got.body());
            }
            Thread.sleep(0, 200_000);
        }
    }

    /** Firing time minus scheduled time of an every-second schedule. */
    private void scheduleAccuracy(NodeBenchmark.RunningNode node) throws Exception {
        ObjectNode spec = arrowSpec("bench-cron");
        spec.putArray("triggers").addObject().put("schedule", "* * * * * *");
        call(node, "POST", "/v1/arrows", "application/json", spec.toString().getBytes(StandardCharsets.UTF_8));
        Instant deployed = Instant.now();
        Thread.sleep(Duration.ofSeconds(scheduleSeconds));
        call(node, "DELETE", "/v1/arrows/bench-cron", "application/json", new byte[0]);
        var lateness = new ArrayList<Long>();
        String cursor = null;
        do {
            JsonNode page = call(node, "GET", "/v1/kv/" + STORE + "/keys?prefix=bench-cron/&limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)), "application/json", null);
            for (JsonNode key : page.path("keys")) {
                String name = key.path("key").asText(); // bench-cron/0/2026-...Z: the arrow, its trigger, the scheduled time
                Instant scheduled = Instant.parse(name.substring(name.lastIndexOf('/') + 1));
                if (scheduled.isBefore(deployed.plusSeconds(2).truncatedTo(ChronoUnit.SECONDS))) {
                    continue; // the instance's cold start is not the schedule's accuracy
                }
                JsonNode value = call(node, "GET", "/v1/kv/" + STORE + "/keys/" + name, null, null);
                long arrived = value.asLong();
                lateness.add(arrived - (scheduled.getEpochSecond() * 1_000_000_000L + scheduled.getNano()));
            }
            cursor = page.path("next").isTextual() ? page.path("next").asText() : null;
        } while (cursor != null);
        if (lateness.isEmpty()) {
            throw new ProcessFailedException("the every-second schedule never reached its arrow in " + scheduleSeconds + " s");
        }
        var t = new Timings(lateness.stream().mapToLong(Long::longValue).toArray());
        System.out.printf(Locale.ROOT, "%-44s %9.3f ms median  %8.3f ms p99  (n=%d firings, every second)%n",
                "schedule: firing at the arrow - scheduled", t.medianMillis(), t.p99Millis(), t.count());
        System.out.flush();
    }

    private static ObjectNode arrowSpec(String name) {
        ObjectNode spec = JSON.createObjectNode().put("name", name).put("mode", "http");
        spec.putArray("command").add("python3").add("-c").add(APP);
        spec.putObject("scaling").put("concurrency", 4).put("minInstances", 1).put("maxInstances", 1);
        spec.putObject("bindings").putArray("kv").add(STORE);
        return spec;
    }

    private static long wallNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** A call to the node's API; its JSON answer (a KV value read as JSON), or a failure naming the call. */
    private JsonNode call(NodeBenchmark.RunningNode node, String method, String path, String type, byte[] body) throws Exception {
        return node.api(http, method, path, type, body);
    }
}
