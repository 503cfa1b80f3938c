package dev.arrow.runtime.instances;

import dev.arrow.runtime.ExecTask;
import dev.arrow.runtime.LogCapture;
import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.eclipse.jetty.io.Transport;

/**
 * One running sandbox serving HTTP for one arrow revision. It is reached on 127.0.0.1:port inside
 * its own network namespace ({@link NetworkNamespaces}), or on a host port picked for it when it
 * shares the host's network.
 */
public final class Instance {

    /** The log pumps block on FIFO reads: platform threads, reused. */
    private static final ExecutorService LOG_PUMPS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("arrow-instance-log-", 0).factory());
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /**
     * How long after the start the socket connected then may still be the first connection: the
     * request that waited for the start takes it within a millisecond; much later, an app may have
     * closed it as idle (Jetty would send on it and fail, not retry). Servers that time out a
     * connection waiting for its first request do so after seconds (Node 60 s, nginx 60 s).
     */
    private static final long SPARE_FRESH_NANOS = Duration.ofSeconds(1).toNanos();

    private final String id;
    private final Sandbox sandbox;
    private final int pidfd;      // -1 when the instance shares the host's network
    /*
     * Once closed, the pidfd's number may name another sandbox's pid 1: a socket made or a check
     * made with it then would reach that sandbox. Uses hold the read lock; closing, the write lock.
     */
    private final ReentrantReadWriteLock pidfdLock = new ReentrantReadWriteLock();
    private boolean pidfdClosed; // guarded by pidfdLock
    private final int port;
    private final InstanceLog log;
    private final Instant startedAt;
    private final CompletableFuture<SandboxResult> ended = new CompletableFuture<>();
    private final InstanceTransport transport;
    private final AtomicReference<SocketChannel> spare = new AtomicReference<>();
    private volatile Instant readyAt;
    private volatile long readyNanos;
    private volatile boolean stopped;

    private Instance(String id, Sandbox sandbox, int pidfd, int port, InstanceLog log, Instant startedAt) {
        this.id = id;
        this.sandbox = sandbox;
        this.pidfd = pidfd;
        this.port = port;
        this.log = log;
        this.startedAt = startedAt;
        this.transport = new InstanceTransport(this);
    }

    /**
     * Starts an instance and waits until it is ready: its port accepts (and its readiness path
     * answers, if it has one) within the spec's start timeout.
     */
    public static Instance start(SandboxDriver driver, InstanceSpec spec, String id, Clock clock)
            throws InstanceStartException, InterruptedException {
        int port = spec.network() == NetworkPolicy.HOST ? freeHostPort() : spec.port();
        return start(driver, spec, sandboxSpec(spec, port), port, id, clock, null);
    }

    /** The sandbox an instance of {@code spec} runs in, serving on {@code port}. */
    static SandboxSpec sandboxSpec(InstanceSpec spec, int port) {
        SandboxSpec.Builder builder = SandboxSpec.builder(spec.command())
                .env(spec.env())
                .env("PORT", Integer.toString(port))
                .limits(withoutWallTime(spec.limits()))
                .network(spec.network())
                .readyPort(port);
        spec.code().ifPresent(dir -> builder.mount(Mount.readOnly(dir, ExecTask.CODE_DIR)).workdir(ExecTask.CODE_DIR));
        spec.mounts().forEach(builder::mount);
        return builder.build();
    }

    /** {@code client}, if not null, is readied for the first request to the instance while its app starts. */
    static Instance start(SandboxDriver driver, InstanceSpec spec, SandboxSpec sandboxSpec, int port, String id,
            Clock clock, InstanceClient client) throws InstanceStartException, InterruptedException {
        boolean host = spec.network() == NetworkPolicy.HOST;
        Instant startedAt = clock.instant();
        long startNanos = System.nanoTime();
        Sandbox sandbox;
        try {
            sandbox = driver.start(sandboxSpec, Stdio.PIPE);
        } catch (SandboxException e) {
            throw new InstanceStartException("the instance's sandbox could not be started: " + e.getMessage(),
                    Optional.empty(), "");
        }
        var log = new InstanceLog();
        Instance instance = null;
        int pidfd = -1;
        try {
            sandbox.stdin().close();
            LOG_PUMPS.execute(() -> log.pump(sandbox.stdout()));
            LOG_PUMPS.execute(() -> log.pump(sandbox.stderr()));
            if (!host) {
                OptionalLong init = sandbox.namespacePid();
                if (init.isEmpty()) {
                    init = childOf(sandbox.pid(), startNanos + spec.startTimeout().toNanos());
                }
                if (init.isEmpty()) {
                    throw failed(sandbox, log, "the instance's sandbox did not start");
                }
                pidfd = NetworkNamespaces.pidfd(init.getAsLong());
                if (pidfd < 0) { // its pid 1 has ended already: so has the sandbox
                    throw failed(sandbox, log, "the instance exited before it was ready");
                }
            }
            instance = new Instance(id, sandbox, pidfd, port, log, startedAt);
            Thread.ofVirtual().name("instance-" + id).start(instance::watch);
            // The read lock keeps the pidfd open while the namespace thread makes the first socket.
            instance.pidfdLock.readLock().lock();
            CompletableFuture<SocketChannel> early = null;
            try {
                early = instance.openWhileStarting();
                if (client != null) {
                    client.prepare(instance);
                }
                instance.awaitReady(spec, startNanos);
                instance.connectEarly(early);
                early = null; // the instance's now
            } finally {
                discard(early); // failed: once made, closed
                instance.pidfdLock.readLock().unlock();
            }
            instance.readyNanos = System.nanoTime();
            instance.readyAt = startedAt.plusNanos(instance.readyNanos - startNanos);
            return instance;
        } catch (IOException e) {
            sandbox.kill();
            throw failed(sandbox, log, "the instance could not be reached: " + e.getMessage());
        } catch (InstanceStartException | InterruptedException | RuntimeException e) {
            sandbox.kill();
            if (instance == null && pidfd >= 0) {
                NetworkNamespaces.close(pidfd);
            }
            throw e;
        }
    }

    public String id() {
        return id;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** When it became ready; its init time is from {@link #startedAt()} to this. */
    public Instant readyAt() {
        return readyAt;
    }

    /** {@link System#nanoTime()} when it became ready. */
    long readyNanos() {
        return readyNanos;
    }

    public Duration initTime() {
        return Duration.between(startedAt, readyAt);
    }

    /** The host pid of its supervisor. */
    public long pid() {
        return sandbox.pid();
    }

    public boolean alive() {
        return !ended.isDone();
    }

    /** How its sandbox ended, once it has. */
    public Optional<SandboxResult> result() {
        return Optional.ofNullable(ended.getNow(null));
    }

    /** Whether it was stopped on purpose (scale-down, redeploy), rather than crashing. */
    public boolean stopped() {
        return stopped;
    }

    CompletableFuture<SandboxResult> ended() {
        return ended;
    }

    /** Runs {@code action} once the instance's sandbox has ended (at once if it has). */
    public void whenEnded(Runnable action) {
        ended.whenComplete((result, error) -> action.run());
    }

    /** How its sandbox ended, waiting up to {@code wait} for that. */
    public SandboxResult endedWithin(Duration wait) throws TimeoutException, InterruptedException {
        try {
            return ended.get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new InterruptedException("interrupted while waiting for " + id);
        }
    }

    /** The last of what it wrote to stdout and stderr. */
    public String logTail() {
        return log.tail();
    }

    /** Its output from now until {@link #endCapture}, for an invocation while it serves only that one. */
    public void beginCapture(LogCapture capture) {
        log.attach(capture);
    }

    public void endCapture(LogCapture capture) {
        log.settle();
        log.detach(capture);
    }

    /** Stops it: kills its sandbox. Returns at once. */
    public void stop() {
        stopped = true;
        sandbox.kill();
    }

    /** The Jetty transport that opens connections to it: one connection pool per instance. */
    Transport transport() {
        return transport;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /** A new, unconnected socket from which 127.0.0.1:port is this instance. */
    SocketChannel newSocket() throws IOException {
        if (pidfd < 0) {
            return SocketChannel.open();
        }
        pidfdLock.readLock().lock();
        try {
            if (pidfdClosed || !alive()) {
                throw new IOException("instance " + id + " has ended");
            }
            return NetworkNamespaces.socketIn(pidfd);
        } finally {
            pidfdLock.readLock().unlock();
        }
    }

    /**
     * A socket to this instance, connected or still connecting (non-blocking). The first is the
     * one opened while the instance started and connected the moment it was ready, so that the
     * request that waited for this instance neither waits for a socket to be made in its network
     * namespace nor for a connect.
     */
    SocketChannel connect() throws IOException {
        SocketChannel early = spare.getAndSet(null);
        if (early != null) {
            if (System.nanoTime() - readyNanos < SPARE_FRESH_NANOS) {
                try {
                    early.finishConnect(); // done by now, or still pending: the selector finishes it
                    return early;
                } catch (IOException e) {
                    // refused or reset: make a new one
                }
            }
            closeQuietly(early); // an app may close a connection that stays idle for long
        }
        SocketChannel channel = NetworkNamespaces.forConnect(newSocket());
        try {
            channel.connect(address());
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Checked after a connect: pooled network namespaces are reused by later sandboxes, but not
     * before this one's pid 1 has died; if it still lives, the connection reached this instance.
     */
    void confirmConnected(SocketChannel channel) throws IOException {
        if (pidfd < 0) {
            return;
        }
        pidfdLock.readLock().lock();
        try {
            if (!pidfdClosed && NetworkNamespaces.alive(pidfd)) {
                return;
            }
        } finally {
            pidfdLock.readLock().unlock();
        }
        channel.close();
        throw new IOException("instance " + id + " ended while connecting");
    }

    /** The socket of the first connection, made while the app starts. Hold the pidfd's read lock. */
    private CompletableFuture<SocketChannel> openWhileStarting() {
        if (pidfd >= 0) {
            return NetworkNamespaces.socketInLater(pidfd);
        }
        try {
            return CompletableFuture.completedFuture(NetworkNamespaces.forConnect(SocketChannel.open()));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Starts the connect of the first connection: it completes while the request comes. */
    private void connectEarly(CompletableFuture<SocketChannel> socket) {
        SocketChannel channel;
        try {
            channel = socket.join(); // made by now, as a rule: the app took longer to listen
        } catch (CompletionException e) {
            return; // the first connection is made as any other
        }
        try {
            channel.connect(address());
            spare.set(channel);
            if (!alive()) { // ended meanwhile: watch() may have looked already
                closeQuietly(spare.getAndSet(null));
            }
        } catch (IOException e) {
            closeQuietly(channel);
        }
    }

    private static void discard(CompletableFuture<SocketChannel> socket) {
        if (socket == null) {
            return;
        }
        try {
            closeQuietly(socket.join());
        } catch (CompletionException e) {
            // none was made
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // closing: nothing else to do
        }
    }

    private void watch() {
        try {
            ended.complete(sandbox.waitFor());
        } catch (InterruptedException e) {
            ended.completeExceptionally(e);
        } finally {
            closeQuietly(spare.getAndSet(null));
            sandbox.close();
            if (pidfd >= 0) {
                pidfdLock.writeLock().lock();
                try {
                    pidfdClosed = true;
                    NetworkNamespaces.close(pidfd);
                } finally {
                    pidfdLock.writeLock().unlock();
                }
            }
        }
    }

    /**
     * Waits for the sandbox to say its port accepts connections; where it does not watch the port,
     * or a readiness path must answer too, this node tries itself. At the start timeout the
     * sandbox is killed, which also ends a wait on the sandbox.
     */
    private void awaitReady(InstanceSpec spec, long startNanos) throws InstanceStartException, InterruptedException {
        long deadline = startNanos + spec.startTimeout().toNanos();
        var timedOut = new AtomicBoolean();
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> {
            timedOut.set(true);
            sandbox.kill();
        }, CompletableFuture.delayedExecutor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        String lastProblem = "its port " + port + " never accepted a connection";
        try {
            Sandbox.PortState state = sandbox.awaitPort();
            if (state == Sandbox.PortState.LISTENING && spec.readinessPath().isEmpty() && !timedOut.get()) {
                return; // unless the watchdog fired meanwhile: then it is being killed, a timeout
            }
            while (state != Sandbox.PortState.ENDED && alive() && !timedOut.get()
                    && System.nanoTime() - deadline < 0) {
                try (SocketChannel channel = newSocket()) {
                    channel.connect(address());
                    confirmConnected(channel);
                    if (spec.readinessPath().isEmpty()) {
                        return;
                    }
                    int status = probe(channel, spec.readinessPath().get());
                    if (status > 0 && status < 500) {
                        return;
                    }
                    lastProblem = "its readiness path " + spec.readinessPath().get() + " answered "
                            + (status > 0 ? "with status " + status : "with no HTTP response");
                } catch (IOException e) {
                    // not listening yet
                }
                LockSupport.parkNanos(Math.min(ReadinessPolling.pauseNanos(System.nanoTime() - startNanos),
                        Math.max(0, deadline - System.nanoTime())));
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            watchdog.cancel(false);
        }
        if (timedOut.get() || System.nanoTime() - deadline >= 0) {
            sandbox.kill();
            throw new InstanceStartException("the instance was not ready within " + spec.startTimeout().toMillis()
                    + " ms: " + lastProblem, Optional.empty(), log.tail());
        }
        throw failed(sandbox, log, "the instance exited before it was ready");
    }

    /** GET path; the status code of the answer, or 0 when none came. */
    private static int probe(SocketChannel channel, String path) throws IOException {
        String request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: arrow-readiness\r\n\r\n";
        channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
        channel.socket().setSoTimeout(2000);
        InputStream in = channel.socket().getInputStream();
        byte[] head = in.readNBytes(12);
        String line = new String(head, StandardCharsets.ISO_8859_1);
        if (!line.startsWith("HTTP/1.") || line.length() < 12) {
            return 0;
        }
        try {
            return Integer.parseInt(line.substring(9, 12));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static InstanceStartException failed(Sandbox sandbox, InstanceLog log, String message)
            throws InterruptedException {
        sandbox.kill();
        SandboxResult result = sandbox.waitFor();
        log.settle(); // what it wrote before it ended is in the pipes: read it into the tail
        String tail = log.tail();
        String detail = switch (result.outcome()) {
            case dev.arrow.sandbox.Outcome.FailedToStart failed -> ": " + failed.detail();
            case dev.arrow.sandbox.Outcome.Exited exited -> " (exit status " + exited.code() + ")";
            default -> " (" + result.outcome().name() + ")";
        };
        return new InstanceStartException(message + detail + (tail.isBlank() ? "" : "; its output ended with:\n" + tail),
                Optional.of(result.outcome()), tail);
    }

    private static Limits withoutWallTime(Limits limits) {
        return new Limits(limits.memoryBytes(), limits.cpuMillis(), limits.pids(), limits.openFiles(),
                limits.tmpfsBytes(), Optional.empty());
    }

    /**
     * For drivers that do not report the sandbox's pid 1: the supervisor's only child is it. Waits
     * until the supervisor has cloned it, or has ended.
     */
    private static OptionalLong childOf(long supervisor, long deadlineNanos) throws InterruptedException {
        Path children = Path.of("/proc", Long.toString(supervisor), "task",
                Long.toString(supervisor), "children");
        while (System.nanoTime() - deadlineNanos < 0) {
            try {
                String text = Files.readString(children).strip();
                if (!text.isEmpty()) {
                    return OptionalLong.of(Long.parseLong(text.split("\\s+")[0]));
                }
            } catch (IOException e) {
                return OptionalLong.empty(); // the supervisor is gone
            }
            Thread.sleep(1);
        }
        return OptionalLong.empty();
    }

    /** A host port free now; the app is told to listen on it. */
    static int freeHostPort() throws InstanceStartException {
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new InstanceStartException("no free host port: " + e.getMessage(), Optional.empty(), "");
        }
    }

    @Override
    public String toString() {
        return "instance " + id;
    }
}
