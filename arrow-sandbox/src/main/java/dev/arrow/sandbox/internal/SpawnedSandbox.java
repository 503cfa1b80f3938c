package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.Stdio;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** One sandbox supervised by a child of the {@link Spawner}; it reports on its connection. */
final class SpawnedSandbox implements Sandbox {

    /** How long the supervisor gets to tear the sandbox down after being told to kill it. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("arrow-sandbox-timer").factory());

    private final SocketChannel channel;
    private final long pid;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final Path helper;
    private final String id;
    private final long startNanos;
    private final ByteArrayOutputStream received;
    /* Its own lock: namespacePid() must not wait behind a waitFor() that holds this until the end. */
    private final Object initLock = new Object();
    private boolean initRead; // guarded by initLock
    private OptionalLong namespacePid = OptionalLong.empty(); // guarded by initLock
    private Optional<String> earlyResult = Optional.empty(); // guarded by initLock; the line read instead of "init" or "listening"
    private final boolean watchesPort;
    private PortState portState; // guarded by initLock; null until known
    private SandboxResult result; // guarded by this

    private SpawnedSandbox(SocketChannel channel, long pid, OutputStream stdin, InputStream stdout, InputStream stderr,
            Path helper, String id, long startNanos, ByteArrayOutputStream received, boolean watchesPort) {
        this.channel = channel;
        this.pid = pid;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.helper = helper;
        this.id = id;
        this.startNanos = startNanos;
        this.received = received;
        this.watchesPort = watchesPort;
    }

    /**
     * Reads the spawner's "ready PID" (or an early result), opens the FIFOs and says go. None of
     * the opens waits: the supervisor holds the other ends before it says ready.
     */
    static SpawnedSandbox handshake(SocketChannel channel, Stdio stdio, Path fifos, Path helper, String id,
            long startNanos, boolean watchesPort) throws IOException {
        var received = new ByteArrayOutputStream();
        String first = readLine(channel, received).orElseThrow(() -> new IOException("the spawner closed the connection"));
        if (!first.startsWith("ready ")) {
            // Refused before anything started: the line is the result.
            received.writeBytes((first + "\n").getBytes(StandardCharsets.UTF_8));
            return new SpawnedSandbox(channel, -1, OutputStream.nullOutputStream(), InputStream.nullInputStream(),
                    InputStream.nullInputStream(), helper, id, startNanos, received, false);
        }
        long pid = Long.parseLong(first.substring("ready ".length()).strip());
        OutputStream stdin = OutputStream.nullOutputStream();
        InputStream stdout = InputStream.nullInputStream();
        InputStream stderr = InputStream.nullInputStream();
        if (stdio == Stdio.PIPE) {
            Fifos opened = Fifos.open(fifos);
            stdin = opened.stdin();
            stdout = opened.stdout();
            stderr = opened.stderr();
        }
        Spawner.writeFully(channel, ByteBuffer.wrap(new byte[] {'G'}));
        return new SpawnedSandbox(channel, pid, stdin, stdout, stderr, helper, id, startNanos, received, watchesPort);
    }

    /**
     * A supervisor whose stdio FIFOs are open on both sides and which waits for the arguments of
     * its sandbox (the spawner's prepared request: "fifo PREFIX" alone, then 'G').
     */
    record Prepared(SocketChannel channel, long pid, Fifos stdio, ByteArrayOutputStream received) {

        /** Still there: nothing to read and no EOF on its connection (a look that does not wait). */
        boolean waiting() {
            try {
                channel.configureBlocking(false);
                int read = channel.read(ByteBuffer.allocate(1));
                channel.configureBlocking(true);
                return read == 0;
            } catch (IOException e) {
                return false;
            }
        }

        void close() {
            closeQuietly(channel);
            stdio.close();
        }
    }

    /** This side of a sandbox's stdio FIFOs (PREFIX.in, .out, .err), which the supervisor holds open. */
    record Fifos(OutputStream stdin, InputStream stdout, InputStream stderr) {

        /** Opens all three, or none: none of the opens waits, the other ends being open. */
        static Fifos open(Path prefix) throws IOException {
            var opened = new ArrayList<Closeable>();
            try {
                var stdin = new FileOutputStream(prefix + ".in");
                opened.add(stdin);
                var stdout = new FileInputStream(prefix + ".out");
                opened.add(stdout);
                return new Fifos(stdin, stdout, new FileInputStream(prefix + ".err"));
            } catch (IOException | RuntimeException e) {
                opened.forEach(SpawnedSandbox::closeQuietly);
                throw e;
            }
        }

        void close() {
            closeQuietly(stdin);
            closeQuietly(stdout);
            closeQuietly(stderr);
        }
    }

    /** Reads the "ready PID" of a prepared request, opens the FIFOs and says go. */
    static Prepared prepare(SocketChannel channel, Path fifos) throws IOException {
        var received = new ByteArrayOutputStream();
        String first = readLine(channel, received).orElseThrow(() -> new IOException("the spawner closed the connection"));
        if (!first.startsWith("ready ")) {
            throw new IOException("the spawner refused to prepare a sandbox: " + first);
        }
        if (first.endsWith(" cold")) {
            // The pool had no sandbox ready: a request later could find one that this would not.
            throw new IOException("no prewarmed sandbox to prepare");
        }
        long pid = Long.parseLong(first.substring("ready ".length()).strip());
        Fifos stdio = Fifos.open(fifos);
        try {
            Spawner.writeFully(channel, ByteBuffer.wrap(new byte[] {'G'}));
            return new Prepared(channel, pid, stdio, received);
        } catch (IOException | RuntimeException e) {
            stdio.close();
            throw e;
        }
    }

    /** The sandbox of a prepared supervisor, once its arguments are sent. */
    static SpawnedSandbox started(Prepared prepared, Path helper, String id, long startNanos, boolean watchesPort) {
        Fifos stdio = prepared.stdio();
        return new SpawnedSandbox(prepared.channel(), prepared.pid(), stdio.stdin(), stdio.stdout(), stdio.stderr(),
                helper, id, startNanos, prepared.received(), watchesPort);
    }

    @Override
    public long pid() {
        return pid;
    }

    /** Reads the supervisor's "init PID" line, or finds the result line in its place. */
    @Override
    public OptionalLong namespacePid() throws InterruptedException {
        synchronized (initLock) {
            if (!initRead) {
                Optional<String> line = nextLine("the sandbox's pid 1");
                if (line.isPresent() && line.get().startsWith("init ")) {
                    namespacePid = OptionalLong.of(Long.parseLong(line.get().substring("init ".length()).strip()));
                } else {
                    earlyResult = line; // failed before the clone: this is already the result, or nothing
                }
                initRead = true;
            }
            return namespacePid;
        }
    }

    /**
     * Reads the supervisor's "listening" line (or "unwatched": it could not watch), which comes
     * after "init"; the result line in its place means the sandbox ended first.
     */
    @Override
    public PortState awaitPort() throws InterruptedException {
        if (!watchesPort) {
            return PortState.UNWATCHED;
        }
        synchronized (initLock) {
            if (portState == null) {
                namespacePid();
                Optional<String> line = earlyResult.isEmpty() && namespacePid.isPresent()
                        ? nextLine("the sandbox's port") : earlyResult;
                portState = line.map(text -> switch (text) {
                    case "listening" -> PortState.LISTENING;
                    case "unwatched" -> PortState.UNWATCHED;
                    default -> PortState.ENDED;
                }).orElse(PortState.ENDED);
                if (portState == PortState.ENDED) {
                    earlyResult = line; // the result line (or nothing): collect() takes it
                }
            }
            return portState;
        }
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public synchronized SandboxResult waitFor() throws InterruptedException {
        if (result == null) {
            result = collect();
        }
        return result;
    }

    /** One byte on the connection: the supervisor kills every process of the sandbox. */
    @Override
    public void kill() {
        try {
            Spawner.writeFully(channel, ByteBuffer.wrap(new byte[] {'K'}));
        } catch (IOException e) {
            // The supervisor has already gone; so has the sandbox.
        }
    }

    /** The sandbox's id, which names its cgroup. */
    String id() {
        return id;
    }

    /** Closes the connection without a word, as the death of this JVM would. For tests. */
    void dropConnection() {
        closeQuietly(channel);
    }

    @Override
    public void close() {
        try {
            boolean finished;
            synchronized (this) {
                finished = result != null;
            }
            if (!finished) {
                kill();
                // Closing the connection ends a read that waits too long for the result.
                ScheduledFuture<?> deadline = TIMER.schedule(() -> closeQuietly(channel), KILL_GRACE.toMillis(),
                        TimeUnit.MILLISECONDS);
                waitFor();
                deadline.cancel(false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(channel);
            closeQuietly(stdin);
            closeQuietly(stdout);
            closeQuietly(stderr);
        }
    }

    private SandboxResult collect() throws InterruptedException {
        Optional<String> line;
        synchronized (initLock) {
            namespacePid();
            awaitPort(); // its line, if any, comes before the result
            line = earlyResult;
        }
        if (line.isEmpty()) {
            // An interrupt closes the connection, which kills the sandbox: the caller is told it
            // was interrupted, not that the sandbox failed.
            line = nextLine("the sandbox's result");
        }
        Duration wallTime = Duration.ofNanos(System.nanoTime() - startNanos);
        if (line.isEmpty()) {
            return HelperFailure.setupFailed(helper, id, wallTime, "the sandbox's supervisor ended and wrote no result");
        }
        try {
            return ResultParser.parse(line.get());
        } catch (ResultParser.MalformedResultException e) {
            return HelperFailure.setupFailed(helper, id, wallTime, "unreadable result from the helper: " + e.getMessage());
        }
    }

    /** The supervisor's next line; empty when the connection ended (or broke) first. */
    private Optional<String> nextLine(String waitingFor) throws InterruptedException {
        try {
            return readLine(channel, received);
        } catch (ClosedByInterruptException e) {
            throw new InterruptedException("interrupted while waiting for " + waitingFor);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The next line from the connection; bytes after it stay in {@code received} for the next call. */
    private static Optional<String> readLine(SocketChannel channel, ByteArrayOutputStream received) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (true) {
            byte[] bytes = received.toByteArray();
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    received.reset();
                    received.write(bytes, i + 1, bytes.length - i - 1);
                    return Optional.of(new String(bytes, 0, i, StandardCharsets.UTF_8));
                }
            }
            buffer.clear();
            if (channel.read(buffer) < 0) {
                return Optional.empty();
            }
            received.write(buffer.array(), 0, buffer.position());
        }
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // Nothing more can be done with the streams of a sandbox that has ended.
        }
    }
}
