package dev.arrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.runtime.bundle.BundleUnpacker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One large object through the node's S3 listener with the tools a user has, next to what the
 * same bytes cost without the node: {@code aws s3 cp} up (a multipart upload, every part signed)
 * against {@code cp} of the file on the same disk with its fsync, and {@code curl} down on a
 * presigned URL against nginx serving the same file; the node's RSS sampled all along, since a
 * body must stream through the node and never sit in its heap.
 */
final class ObjectTransfers {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern S3_LISTENING = Pattern.compile("S3 listening on (http://\\S+)");
    private static final String BUCKET = "bench";

    private final NodeBenchmark.RunningNode node;
    private final HttpClient http;
    private final long bytes;
    private final int rounds;

    ObjectTransfers(NodeBenchmark.RunningNode node, HttpClient http, long bytes, int rounds) {
        this.node = node;
        this.http = http;
        this.bytes = bytes;
        this.rounds = rounds;
    }

    /** {@code 256m}, {@code 1g}, {@code 4096}: binary multiples, as everywhere in Arrow. */
    static long parseSize(String size) {
        Matcher m = Pattern.compile("(\\d+)([kmg]?)", Pattern.CASE_INSENSITIVE).matcher(size.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("--object-size must be bytes or a number with k, m or g, not '" + size + "'");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    void run() throws Exception {
        Optional<Path> aws = Optional.of(Path.of("/usr/bin/aws")).filter(Files::isExecutable).or(() -> Processes.onPath("aws"));
        Optional<Path> curl = Processes.onPath("curl");
        if (aws.isEmpty() || curl.isEmpty()) {
            System.out.println("objects: skipped, awscli or curl is not installed");
            return;
        }
        URI s3 = s3Uri();
        Path dir = Files.createTempDirectory("arrow-bench-objects");
        // nginx's worker runs as another user: the file it serves must be readable to it.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Path file = dir.resolve("object");
            writeRandom(file);
            Map<String, String> env = awsEnvironment(dir);
            List<String> awsS3 = List.of(aws.get().toString(), "--endpoint-url", s3.toString(), "s3");
            runQuietly(concat(awsS3, "mb", "s3://" + BUCKET), env);
            double[] put = new double[rounds];
            double[] copy = new double[rounds];
            double[] get = new double[rounds];
            double[] nginx = new double[rounds];
            long idleRss = node.rssBytes();
            var putRss = new AtomicLong();
            var getRss = new AtomicLong();
            Optional<ReferenceNginx> files = ReferenceNginx.files(dir);
            try {
                boolean warm = false;
                for (int round = 0; round < rounds; round++) {
                    Path copied = dir.resolve("copy");
                    Files.deleteIfExists(copied);
                    if (round % 2 == 0) {
                        put[round] = sampled(putRss, () -> runQuietly(concat(awsS3, "cp", "--only-show-errors", file.toString(),
                                "s3://" + BUCKET + "/object"), env));
                        copy[round] = timed(() -> runQuietly(List.of("sh", "-c", "cp \"$1\" \"$2\" && sync \"$2\"", "cp", file.toString(),
                                copied.toString()), Map.of()));
                    } else {
                        copy[round] = timed(() -> runQuietly(List.of("sh", "-c", "cp \"$1\" \"$2\" && sync \"$2\"", "cp", file.toString(),
                                copied.toString()), Map.of()));
                        put[round] = sampled(putRss, () -> runQuietly(concat(awsS3, "cp", "--only-show-errors", file.toString(),
                                "s3://" + BUCKET + "/object"), env));
                    }
                    Files.deleteIfExists(copied);
                    String presigned = output(concat(awsS3, "presign", "s3://" + BUCKET + "/object", "--expires-in", "3600"), env)
                            .lines().filter(line -> line.startsWith("http")).reduce((first, last) -> last)
                            .orElseThrow(() -> new IOException("aws s3 presign printed no URL"));
                    List<String> viaNode = List.of(curl.get().toString(), "-sSf", "-o", "/dev/null", presigned);
                    if (!warm) { // one GET each way first, not counted: the node's copy loop compiled, the file in the page cache
                        runQuietly(viaNode, Map.of());
                        if (files.isPresent()) {
                            runQuietly(List.of(curl.get().toString(), "-sSf", "-o", "/dev/null",
                                    files.get().uri.resolve("/object").toString()), Map.of());
                        }
                        warm = true;
                    }
                    get[round] = sampled(getRss, () -> runQuietly(viaNode, Map.of()));
                    if (files.isPresent()) {
                        nginx[round] = timed(() -> runQuietly(List.of(curl.get().toString(), "-sSf", "-o", "/dev/null",
                                files.get().uri.resolve("/object").toString()), Map.of()));
                    }
                }
            } finally {
                if (files.isPresent()) {
                    files.get().close();
                }
            }
            double mib = bytes / 1048576.0;
            System.out.printf(Locale.ROOT, "object of %.0f MiB through the S3 listener; medians of %d rounds%n", mib, rounds);
            System.out.printf(Locale.ROOT, "%-38s %9.0f MiB/s%s%n", "S3 GET, curl on a presigned URL", mib / Timings.median(get),
                    files.isPresent() ? String.format(Locale.ROOT, "  (%.0f%% of nginx's %.0f MiB/s%s; goal: at least 80%%)",
                            100 * Timings.medianRatio(nginx, get), mib / Timings.median(nginx), Timings.eachRound(nginx, get))
                            : "  (nginx is not installed: no reference)");
            System.out.printf(Locale.ROOT, "%-38s %9.0f MiB/s  (%.0f%% of cp and fsync's %.0f MiB/s%s)%n", "S3 PUT, aws s3 cp",
                    mib / Timings.median(put), 100 * Timings.medianRatio(copy, put), mib / Timings.median(copy),
                    Timings.eachRound(copy, put));
            System.out.printf(Locale.ROOT, "node RSS: %.0f MiB before, at most %.0f MiB during the PUTs, %.0f MiB during the GETs%n",
                    idleRss / 1048576.0, putRss.get() / 1048576.0, getRss.get() / 1048576.0);
            System.out.flush();
        } finally {
            BundleUnpacker.deleteTree(dir);
        }
    }

    /** The S3 listener's address, from the line the node printed when it started. */
    private URI s3Uri() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            for (String line : node.stderrLines()) {
                Matcher m = S3_LISTENING.matcher(line);
                if (m.find()) {
                    return URI.create(m.group(1));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the node did not say where its S3 listener is");
            }
            Thread.sleep(50);
        }
    }

    /** A fresh access key, and aws's configuration: path-style addressing, no other profile. */
    private Map<String, String> awsEnvironment(Path dir) throws Exception {
        HttpResponse<String> made = http.send(HttpRequest.newBuilder(node.base.resolve("/v1/keys"))
                .header("Authorization", "Bearer " + node.token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench\"}")).build(), HttpResponse.BodyHandlers.ofString());
        if (made.statusCode() != 201) {
            throw new IOException("POST /v1/keys answered " + made.statusCode() + ": " + made.body());
        }
        JsonNode key = JSON.readTree(made.body());
        Path config = dir.resolve("aws-config");
        Files.writeString(config, """
                [default]
                region = us-east-1
                s3 =
                    addressing_style = path
                """);
        return Map.of("AWS_ACCESS_KEY_ID", key.path("accessKeyId").asText(),
                "AWS_SECRET_ACCESS_KEY", key.path("secretAccessKey").asText(),
                "AWS_CONFIG_FILE", config.toString(),
                "AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString(),
                "AWS_EC2_METADATA_DISABLED", "true",
                "AWS_PAGER", "");
    }

    private void writeRandom(Path file) throws IOException {
        byte[] block = new byte[1 << 20];
        new Random(42).nextBytes(block);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private interface Step {
        void run() throws Exception;
    }

    private static double timed(Step step) throws Exception {
        long start = System.nanoTime();
        step.run();
        return (System.nanoTime() - start) / 1e9;
    }

    /** Seconds of {@code step}, with the node's RSS sampled every 20 ms, its highest kept in {@code peak}. */
    private double sampled(AtomicLong peak, Step step) throws Exception {
        var done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sampler = Thread.ofPlatform().daemon().name("arrow-bench-rss").start(() -> {
            while (!done.get()) {
                try {
                    peak.accumulateAndGet(node.rssBytes(), Math::max);
                    Thread.sleep(20);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        });
        try {
            return timed(step);
        } finally {
            done.set(true);
            sampler.join();
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        var all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    private static void runQuietly(List<String> argv, Map<String, String> env) throws Exception {
        output(argv, env);
    }

    /** Runs {@code argv}; its stdout, or a ProcessFailedException with its output when it fails. */
    private static String output(List<String> argv, Map<String, String> env) throws Exception {
        var builder = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        Process process = builder.start();
        String out;
        try (InputStream in = process.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (process.waitFor() != 0) {
            throw new ProcessFailedException(String.join(" ", argv.subList(0, Math.min(argv.size(), 5))) + " ... exited with status "
                    + process.exitValue() + ": " + out.strip());
        }
        return out;
    }
}
