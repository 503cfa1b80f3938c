package dev.arrow.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code arrow bench soak}: a steady mixed load on one node for N minutes, one line a minute with
 * what would show a leak (the node's RSS, threads, open files) and what would show decay (p99
 * latency, errors). Flat is the goal. Then the node idles a minute and its RSS is compared with
 * its idle figure before the load.
 */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Starts 'arrow serve' (its own temporary home), deploys an exec arrow (wc -c) and a warm http-mode"
                    + " arrow, then runs --clients clients for --minutes: gateway requests to the warm arrow, sync"
                    + " invocations with small bodies and with --big-mib bodies, async invocations and API reads."
                    + " Each minute it prints requests, errors, p50/p99 latency and the node's RSS, threads and"
                    + " open files; then it idles a minute and prints the node's RSS against its idle figure."
        })
final class SoakBenchmark implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--minutes", paramLabel = "N", defaultValue = "5", description = "Minutes of load (default: ${DEFAULT-VALUE}).")
    int minutes;

    @Option(names = "--clients", paramLabel = "C", defaultValue = "4", description = "Clients at once (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--big-mib", paramLabel = "MIB", defaultValue = "6",
            description = "Size of the large sync bodies, MiB (default: ${DEFAULT-VALUE}).")
    int bigMib;

    @Option(names = "--idle-seconds", paramLabel = "S", defaultValue = "60",
            description = "Idle time before the last RSS reading (default: ${DEFAULT-VALUE}).")
    int idleSeconds;

    /** One finished request: when it ended, how long it took, its status (0: no answer) and, if it failed, what. */
    record Sample(long endNanos, long nanos, int status, String failure) {
    }

    /** A request's status and, when it failed, the request and the start of its answer or the client's error. */
    private record Answer(int status, String failure) {
    }

    @Override
    public Integer call() throws Exception {
        if (minutes < 1 || clients < 1 || bigMib < 1 || idleSeconds < 0) {
            throw new ParameterException(spec.commandLine(), "--minutes, --clients and --big-mib must be at least 1");
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        try (NodeBenchmark.RunningNode node = NodeBenchmark.RunningNode.start()) {
            URI base = node.base;
            send(http, node, "POST", "/v1/arrows", "{\"name\":\"count\",\"command\":[\"wc\",\"-c\"]}");
            send(http, node, "POST", "/v1/arrows", "{\"name\":\"web\",\"mode\":\"http\",\"command\":" + WarmApp.commandJson()
                    + ",\"scaling\":{\"minInstances\":1,\"maxInstances\":2,\"concurrency\":8}}");
            Thread.sleep(3000); // the first instance up, the start-up garbage collected
            long idleBefore = node.rssBytes();
            System.out.printf(Locale.ROOT, "arrow bench soak: %d clients for %d min; node idle: RSS %.1f MiB, %d threads,"
                    + " %d open files%n", clients, minutes, idleBefore / 1048576.0, threads(node), openFiles(node));
            System.out.printf(Locale.ROOT, "%6s %9s %7s %9s %9s %10s %8s %6s%n",
                    "minute", "requests", "errors", "p50 ms", "p99 ms", "RSS MiB", "threads", "fds");

            byte[] small = "the quick brown fox".getBytes();
            byte[] big = new byte[bigMib << 20];
            new Random(1).nextBytes(big);
            var samples = new ConcurrentLinkedQueue<Sample>();
            long start = System.nanoTime();
            long end = start + Duration.ofMinutes(minutes).toNanos();
            try (var pool = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("soak-", 0).factory())) {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    long seed = c;
                    running.add(pool.submit(() -> {
                        var random = new Random(seed);
                        while (System.nanoTime() < end) {
                            int pick = random.nextInt(100);
                            long t0 = System.nanoTime();
                            Answer answer = pick < 40 ? call(http, node, "GET", "/a/web/", null)
                                    : pick < 70 ? call(http, node, "POST", "/v1/arrows/count/invoke", small)
                                    : pick < 78 ? call(http, node, "POST", "/v1/arrows/count/invoke", big)
                                    : pick < 88 ? call(http, node, "POST", "/v1/arrows/count/invoke?async=true", small)
                                    : call(http, node, "GET", pick < 94 ? "/v1/arrows" : "/v1/invocations?limit=20", null);
                            long t1 = System.nanoTime();
                            samples.add(new Sample(t1, t1 - t0, answer.status(), answer.failure()));
                        }
                        return null;
                    }));
                }
                for (int minute = 1; minute <= minutes; minute++) {
                    long until = start + Duration.ofMinutes(minute).toNanos();
                    Thread.sleep(Math.max(0, (until - System.nanoTime()) / 1_000_000));
                    List<Sample> done = new ArrayList<>();
                    for (Sample s; (s = samples.poll()) != null; ) {
                        done.add(s);
                    }
                    report(minute, done, node);
                }
                for (Future<?> client : running) {
                    client.get();
                }
            }
            Thread.sleep(idleSeconds * 1000L);
            long idleAfter = node.rssBytes();
            System.out.printf(Locale.ROOT, "after %d s idle: RSS %.1f MiB (%+.1f MiB over idle before the load;"
                    + " the goal: within 50 MiB), %d threads, %d open files%n", idleSeconds, idleAfter / 1048576.0,
                    (idleAfter - idleBefore) / 1048576.0, threads(node), openFiles(node));
        }
        return 0;
    }

    private static void report(int minute, List<Sample> done, NodeBenchmark.RunningNode node) throws IOException {
        long errors = done.stream().filter(s -> s.status() < 200 || s.status() >= 300).count();
        String p50 = "-";
        String p99 = "-";
        if (!done.isEmpty()) {
            Timings timings = new Timings(done.stream().mapToLong(Sample::nanos).toArray());
            p50 = String.format(Locale.ROOT, "%.2f", timings.medianMillis());
            p99 = String.format(Locale.ROOT, "%.2f", timings.p99Millis());
        }
        done.stream().filter(s -> s.failure() != null).map(Sample::failure).distinct().limit(3)
                .forEach(failure -> System.out.println("       failed: " + failure));
        System.out.printf(Locale.ROOT, "%6d %9d %7d %9s %9s %10.1f %8d %6d%n", minute, done.size(), errors, p50, p99,
                node.rssBytes() / 1048576.0, threads(node), openFiles(node));
        System.out.flush();
    }

    private static Answer call(HttpClient http, NodeBenchmark.RunningNode node, String method, String path, byte[] body) {
        String what = method + " " + path + (body == null ? "" : " (" + body.length + " bytes)");
        try {
            var request = HttpRequest.newBuilder(node.base.resolve(path)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + node.token)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
            int status = answer.statusCode();
            if (status / 100 == 2) {
                return new Answer(status, null);
            }
            String text = answer.body();
            return new Answer(status, what + ": " + status + " " + text.substring(0, Math.min(200, text.length())));
        } catch (IOException e) {
            return new Answer(0, what + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, what + ": interrupted");
        }
    }

    private static void send(HttpClient http, NodeBenchmark.RunningNode node, String method, String path, String json)
            throws Exception {
        var request = HttpRequest.newBuilder(node.base.resolve(path)).header("Authorization", "Bearer " + node.token)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build();
        HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() / 100 != 2) {
            throw new ProcessFailedException(method + " " + path + " answered " + answer.statusCode() + ": " + answer.body());
        }
    }

    private static int threads(NodeBenchmark.RunningNode node) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(node.process.pid()), "status"))) {
            if (line.startsWith("Threads:")) {
                return Integer.parseInt(line.substring(8).strip());
            }
        }
        return -1;
    }

    private static int openFiles(NodeBenchmark.RunningNode node) throws IOException {
        return node.openFiles();
    }
}
