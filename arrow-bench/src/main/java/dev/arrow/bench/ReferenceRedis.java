package dev.arrow.bench;

import dev.arrow.runtime.bundle.BundleUnpacker;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Redis, what a user would run beside their functions for key-value state, on loopback with
 * {@code redis-benchmark} as its load: the same number of clients as the node's load, no
 * pipelining, values of the same size. Two servers: Redis as shipped (it answers before anything
 * reaches the disk) and Redis with {@code appendfsync always} (an acknowledged SET is on disk, as
 * an acknowledged KV put of the node is). Stopped by {@link #close}.
 */
final class ReferenceRedis implements AutoCloseable {

    private final Path dir;
    private final Process process;
    private final int port;
    private final Path benchmark;

    private ReferenceRedis(Path dir, Process process, int port, Path benchmark) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.benchmark = benchmark;
    }

    /** A Redis server, once it accepts; empty when redis-server or redis-benchmark is not installed. */
    static Optional<ReferenceRedis> start(boolean fsyncEveryWrite) throws IOException, InterruptedException {
        Optional<Path> server = Processes.onPath("redis-server").or(() -> existing("/usr/bin/redis-server"));
        Optional<Path> benchmark = Processes.onPath("redis-benchmark").or(() -> existing("/usr/bin/redis-benchmark"));
        if (server.isEmpty() || benchmark.isEmpty()) {
            return Optional.empty();
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path dir = Files.createTempDirectory("arrow-bench-redis");
        var argv = new java.util.ArrayList<>(List.of(server.get().toString(), "--bind", "127.0.0.1", "--port",
                Integer.toString(port), "--dir", dir.toString(), "--save", "", "--daemonize", "no", "--protected-mode", "yes"));
        argv.addAll(fsyncEveryWrite ? List.of("--appendonly", "yes", "--appendfsync", "always") : List.of("--appendonly", "no"));
        Process process = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile()).start();
        var redis = new ReferenceRedis(dir, process, port, benchmark.get());
        try {
            HttpBenchmark.awaitPort(port);
        } catch (IOException e) {
            String said = Files.readString(dir.resolve("redis.log")).strip();
            redis.close();
            throw new IOException("redis-server did not start" + (said.isEmpty() ? "" : ": " + said), e);
        }
        return Optional.of(redis);
    }

    private static Optional<Path> existing(String path) {
        return Optional.of(Path.of(path)).filter(Files::isExecutable);
    }

    /** Requests per second of each of {@code tests} ("get", "set"), by redis-benchmark's CSV. */
    Map<String, Double> rates(int clients, int requests, int valueBytes, String... tests)
            throws IOException, InterruptedException, ProcessFailedException {
        Process run = new ProcessBuilder(benchmark.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-c", Integer.toString(clients), "-n", Integer.toString(requests), "-d", Integer.toString(valueBytes),
                "-P", "1", "-r", "1000", "--csv", "-t", String.join(",", tests))
                .redirectErrorStream(true).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (run.waitFor() != 0) {
            throw new ProcessFailedException("redis-benchmark exited with status " + run.exitValue() + ": " + out.strip());
        }
        return parse(out);
    }

    /** {@code "SET","41322.31",...} lines: the test's name, lower case, and its rate. */
    static Map<String, Double> parse(String csv) {
        var rates = new HashMap<String, Double>();
        for (String line : csv.lines().toList()) {
            String[] fields = line.split(",");
            if (fields.length < 2 || fields[0].equals("\"test\"")) {
                continue;
            }
            String name = fields[0].replace("\"", "").toLowerCase(Locale.ROOT);
            try {
                rates.put(name, Double.parseDouble(fields[1].replace("\"", "")));
            } catch (NumberFormatException notARate) {
                // a line of another kind
            }
        }
        return rates;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        process.waitFor();
        BundleUnpacker.deleteTree(dir);
    }
}
