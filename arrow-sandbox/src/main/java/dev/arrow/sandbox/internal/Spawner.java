package dev.arrow.sandbox.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The helper in spawner mode ({@code arrow-sandbox-helper --serve SOCKET}, native/src/spawner.c):
 * one long-lived process that forks a supervisor per sandbox, so a sandbox costs no JVM process
 * launch, no exec of the helper and no result file. Stdio goes through three FIFOs the supervisor
 * makes in this JVM's private directory; the result comes back on the sandbox's connection. One
 * supervisor is kept prepared, FIFOs open, for the next sandbox with piped stdio.
 *
 * <p>The spawner reads its stdin only to see EOF: when this JVM ends, however it ends, the pipe
 * closes and the spawner exits; every supervisor, seeing its own connection close, kills its
 * sandbox. Closing a spawner stops it taking new sandboxes; those running finish normally.
 */
final class Spawner implements AutoCloseable {

    private static final long START_TIMEOUT_SECONDS = 10;
    private static final AtomicLong SPAWNERS = new AtomicLong();
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final Duration STATS_TIMEOUT = Duration.ofSeconds(2);
    /** A spawn this long after the one before prepares a supervisor for the next (see prepared). */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Path helper;
    private final Path directory;
    private final Path socket;
    private final Process process;
    private final OutputStream lifeline;
    private final AtomicLong sequence = new AtomicLong();
    private final UnixDomainSocketAddress address;
    /*
     * A supervisor asked for ahead, with its stdio FIFOs open both ways, waiting for the arguments
     * of the next sandbox with piped stdio: such a spawn is one write, with no connect, no FIFOs
     * made or opened and no round trip on its path. One is prepared after such a spawn when the
     * spawn before it was at least QUIET_NANOS earlier, and kept only when it holds a sandbox of
     * the prewarm pool: one without (none was ready) would start its sandbox cold, where a request
     * a moment later could have found one prewarmed. Under load that is the rule, which is why a
     * supervisor prepared after every spawn cost 3-10% of exec throughput (four runs of four).
     */
    private final AtomicReference<SpawnedSandbox.Prepared> prepared = new AtomicReference<>();
    private final AtomicBoolean preparing = new AtomicBoolean();
    private final AtomicLong lastSpawnNanos = new AtomicLong(System.nanoTime() - QUIET_NANOS);
    private volatile boolean closed;

    private Spawner(Path helper, Path directory, Path socket, Process process) {
        this.helper = helper;
        this.directory = directory;
        this.socket = socket;
        this.process = process;
        this.lifeline = process.getOutputStream();
        this.address = UnixDomainSocketAddress.of(socket);
    }

    /**
     * Starts a spawner listening in {@code directory}, which must be private to this JVM's user,
     * keeping {@code prewarm} sandboxes prewarmed.
     */
    static Spawner start(Path helper, Path directory, int prewarm) throws IOException {
        // One socket per spawner: a JVM may run several (drivers of their own, a replaced one).
        Path socket = directory.resolve("spawner-" + SPAWNERS.incrementAndGet() + ".sock");
        socket.toFile().deleteOnExit();
        Process process = new ProcessBuilder(helper.toString(), "--serve", socket.toString(),
                "--prewarm", Integer.toString(prewarm))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            // It says "listening" once its socket is bound; anything else means it could not start.
            String line = reader.readLine();
            if (!"listening".equals(line)) {
                throw new IOException("the spawner did not start (exit " + exitOf(process) + ")");
            }
            return new Spawner(helper, directory, socket, process);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    Path helper() {
        return helper;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Resizes the pool of prewarmed sandboxes (0 to 64). */
    void prewarm(int sandboxes) throws IOException {
        synchronized (lifeline) {
            lifeline.write(("prewarm " + sandboxes + "\n").getBytes(StandardCharsets.US_ASCII));
            lifeline.flush();
        }
    }

    /** The pool of prewarmed sandboxes now, as the spawner tells on a "stats" request. */
    PrewarmStats stats() throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                Selector selector = Selector.open()) {
            writeFully(channel, request(List.of("stats")));
            // Bounded: a scrape of /metrics must not hang on a spawner that stopped answering.
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            long deadline = System.nanoTime() + STATS_TIMEOUT.toNanos();
            var line = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(256);
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new IOException("the sandbox spawner did not answer a stats request within "
                            + STATS_TIMEOUT.toMillis() + " ms");
                }
                selector.select(left);
                selector.selectedKeys().clear();
                int read = channel.read(buffer.clear());
                if (read < 0) {
                    return parseStats(line.toString(StandardCharsets.US_ASCII).strip());
                }
                line.write(buffer.array(), 0, buffer.position());
            }
        }
    }

    static PrewarmStats parseStats(String line) throws IOException {
        int target = 0;
        int ready = 0;
        int processes = 0;
        long memoryBytes = 0;
        try (JsonParser json = JSON.createParser(line)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not the spawner's stats: " + line);
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                json.nextToken();
                switch (name) {
                    case "target" -> target = json.getIntValue();
                    case "ready" -> ready = json.getIntValue();
                    case "processes" -> processes = json.getIntValue();
                    case "memoryBytes" -> memoryBytes = json.getLongValue();
                    default -> json.skipChildren();
                }
            }
        }
        return new PrewarmStats(target, ready, processes, memoryBytes);
    }

    /** Asks for one sandbox; returns once it is about to start, with its stdio open. */
    SpawnedSandbox spawn(SandboxSpec spec, Stdio stdio) throws IOException {
        long now = System.nanoTime();
        boolean quiet = now - lastSpawnNanos.getAndSet(now) >= QUIET_NANOS;
        try {
            if (stdio == Stdio.PIPE) {
                SpawnedSandbox.Prepared ahead = prepared.getAndSet(null);
                if (ahead != null && ahead.waiting()) {
                    try {
                        String id = HelperCommand.newSandboxId();
                        long startNanos = System.nanoTime();
                        writeFully(ahead.channel(), request(HelperCommand.argv(helper, id, spec, Optional.empty())));
                        return SpawnedSandbox.started(ahead, helper, id, startNanos, spec.readyPort().isPresent());
                    } catch (IOException e) {
                        // its supervisor went before the request came (nothing was started): ask anew
                    }
                }
                if (ahead != null) {
                    ahead.close();
                }
            }
            return spawnOn(SocketChannel.open(address), spec, stdio);
        } finally {
            if (stdio == Stdio.PIPE && quiet) {
                prepareNext();
            }
        }
    }

    private SpawnedSandbox spawnOn(SocketChannel channel, SandboxSpec spec, Stdio stdio) throws IOException {
        try {
            String id = HelperCommand.newSandboxId();
            Path fifos = fifos(id);
            var words = new ArrayList<String>();
            if (stdio == Stdio.PIPE) {
                words.add("fifo");
                words.add(fifos.toString());
            } else {
                words.add("null");
            }
            words.addAll(HelperCommand.argv(helper, id, spec, Optional.empty()));
            long startNanos = System.nanoTime();
            writeFully(channel, request(words));
            return SpawnedSandbox.handshake(channel, stdio, fifos, helper, id, startNanos, spec.readyPort().isPresent());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private Path fifos(String name) {
        return directory.resolve(name + "-" + sequence.incrementAndGet());
    }

    /** Prepares the next supervisor on a thread of its own, unless one is ready or being made. */
    private void prepareNext() {
        if (closed || prepared.get() != null || !preparing.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("arrow-spawner-prepare").start(() -> {
            try {
                SocketChannel channel = SocketChannel.open(address);
                SpawnedSandbox.Prepared next;
                try {
                    Path fifos = fifos("ahead");
                    writeFully(channel, request(List.of("fifo", fifos.toString())));
                    next = SpawnedSandbox.prepare(channel, fifos);
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    throw e;
                }
                if (!prepared.compareAndSet(null, next)) {
                    next.close();
                } else if (closed) {
                    closePrepared(); // close() may have looked already
                }
            } catch (IOException | RuntimeException e) {
                // the next spawn asks for a supervisor itself
            } finally {
                preparing.set(false);
            }
        });
    }

    private void closePrepared() {
        SpawnedSandbox.Prepared ahead = prepared.getAndSet(null);
        if (ahead != null) {
            ahead.close();
        }
    }

    private static ByteBuffer request(List<String> words) {
        var body = new java.io.ByteArrayOutputStream();
        for (String word : words) {
            if (word.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an argument holds a NUL character");
            }
            body.writeBytes(word.getBytes(StandardCharsets.UTF_8));
            body.write(0);
        }
        ByteBuffer buffer = ByteBuffer.allocate(4 + body.size()).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(body.size()).put(body.toByteArray()).flip();
        return buffer;
    }

    static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Closes the lifeline: the spawner exits; sandboxes already running are not affected. */
    @Override
    public void close() {
        closed = true;
        closePrepared();
        try {
            lifeline.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // the directory is removed at exit anyway
        }
    }

    /** The spawner's process and those it forked that are alive now. For tests. */
    java.util.List<ProcessHandle> processes() {
        var all = new java.util.ArrayList<ProcessHandle>();
        all.add(process.toHandle());
        process.toHandle().descendants().forEach(all::add);
        return all;
    }

    /** Whether a supervisor is prepared for the next spawn with piped stdio. For tests. */
    boolean hasPrepared() {
        return preparedPid() > 0;
    }

    /** The pid of the supervisor prepared for the next spawn with piped stdio, or -1. For tests. */
    long preparedPid() {
        SpawnedSandbox.Prepared ahead = prepared.get();
        return ahead != null && ahead.waiting() ? ahead.pid() : -1;
    }

    /** Ends the prepared supervisor's connection, as its death would. For tests. */
    void breakPrepared() throws IOException {
        SpawnedSandbox.Prepared ahead = prepared.get();
        if (ahead != null) {
            ahead.channel().shutdownOutput();
        }
    }

    private static String exitOf(Process process) {
        try {
            return process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "none";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
