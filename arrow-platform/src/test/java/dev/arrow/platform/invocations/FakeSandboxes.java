package dev.arrow.platform.invocations;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The sandboxes under the platform's runtime, faked: the runtime's own classes (the exec invoker,
 * instances, fleets, the instance client) run for real on top. An exec sandbox ends as the test
 * scripts it, at once or when released. An instance's sandbox is an HTTP server in this JVM on the
 * host port its spec names (the arrows of these tests share the host's network, so no namespace is
 * joined) answering with the test's {@link App}.
 */
final class FakeSandboxes implements SandboxDriver {

    /** How long a test waits for something that happens on another thread before it fails. */
    static final Duration PATIENCE = Duration.ofSeconds(5);

    private final BlockingQueue<ExecSandbox> execs = new LinkedBlockingQueue<>();
    private final BlockingQueue<AppSandbox> apps = new LinkedBlockingQueue<>();
    private final List<SandboxSpec> specs = new CopyOnWriteArrayList<>();
    private final List<ExecSandbox> allExecs = new CopyOnWriteArrayList<>();
    private final List<AppSandbox> allApps = new CopyOnWriteArrayList<>();
    private final AtomicInteger pids = new AtomicInteger(1000);
    private volatile Function<SandboxSpec, Exec> script = spec -> Exec.exits(0, "ok", "");
    private volatile App app = App.ECHO;
    private volatile String failStartsWith;
    private volatile SandboxException refuse;
    private volatile boolean releasing; // from now on none is held: a test is over
    private volatile boolean slowDeaths;

    /** What an exec sandbox does: writes {@code stdout} and {@code stderr}, then ends as {@code result}. */
    record Exec(SandboxResult result, byte[] stdout, byte[] stderr, boolean held) {

        static final Duration WALL = Duration.ofMillis(40);
        static final Duration SETUP = Duration.ofMillis(2);
        static final long PEAK = 10L << 20;

        /** An end after 40 ms of wall time, 2 ms of it setting up, 5 + 3 ms of CPU, 10 MiB at most. */
        static Exec ends(Outcome outcome, String stdout, String stderr) {
            return new Exec(new SandboxResult(outcome, WALL, Duration.ofMillis(5), Duration.ofMillis(3), PEAK, SETUP),
                    stdout.getBytes(StandardCharsets.UTF_8), stderr.getBytes(StandardCharsets.UTF_8), false);
        }

        static Exec exits(int code, String stdout, String stderr) {
            return ends(new Outcome.Exited(code), stdout, stderr);
        }

        /** Runs until {@link ExecSandbox#release()} (or a kill): it holds its capacity meanwhile. */
        Exec holding() {
            return new Exec(result, stdout, stderr, true);
        }
    }

    /** A request as an instance's app sees it; header names in lower case. */
    record Request(String method, String path, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    record Reply(int status, Map<String, String> headers, byte[] body) {
        static Reply ok(String body) {
            return new Reply(200, Map.of("Content-Type", "text/plain"), body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** An instance's app: answers each request, on a virtual thread of its own. */
    @FunctionalInterface
    interface App {
        App ECHO = (request, instance) -> new Reply(200, Map.of(), request.body());

        Reply handle(Request request, AppSandbox instance) throws Exception;
    }

    /** Exec sandboxes started from now on do what {@code script} says for their spec. */
    void script(Function<SandboxSpec, Exec> next) {
        script = next;
    }

    void script(Exec every) {
        script = spec -> every;
    }

    /** Instances started from now on answer with {@code next}. */
    void app(App next) {
        app = next;
    }

    /** Instances started from now on write {@code log} and exit with 1 before they listen; null: they start. */
    void failStarts(String log) {
        failStartsWith = log;
    }

    /** Starts from now on throw {@code failure}, as when the sandbox helper is missing; null: they start. */
    void refuse(SandboxException failure) {
        refuse = failure;
    }

    /**
     * Instances started from now on stop answering when killed but end only at {@link AppSandbox#die()},
     * as a real sandbox takes a moment to.
     */
    void killsTakeTime() {
        slowDeaths = true;
    }

    /** Every spec started, in order. */
    List<SandboxSpec> specs() {
        return List.copyOf(specs);
    }

    /** The next exec sandbox started, waiting for it to be. */
    ExecSandbox nextExec() throws InterruptedException {
        return next(execs, "exec sandbox");
    }

    /** The next instance sandbox started, waiting for it to be. */
    AppSandbox nextApp() throws InterruptedException {
        return next(apps, "instance sandbox");
    }

    /** Ends every held exec sandbox as scripted, so that nothing is left waiting after a test. */
    void releaseAll() {
        releasing = true;
        allExecs.forEach(ExecSandbox::release);
        allApps.stream().filter(AppSandbox::killed).forEach(AppSandbox::die);
    }

    private static <T> T next(BlockingQueue<T> queue, String what) throws InterruptedException {
        T next = queue.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        if (next == null) {
            throw new AssertionError("no " + what + " was started within " + PATIENCE);
        }
        return next;
    }

    @Override
    public Sandbox start(SandboxSpec spec, Stdio stdio) throws SandboxException {
        if (refuse != null) {
            throw refuse;
        }
        specs.add(spec);
        int pid = pids.incrementAndGet();
        if (spec.readyPort().isPresent()) {
            var sandbox = new AppSandbox(spec, pid, app, failStartsWith, slowDeaths && !releasing);
            allApps.add(sandbox);
            apps.add(sandbox);
            return sandbox;
        }
        Exec exec = script.apply(spec);
        var sandbox = new ExecSandbox(spec, pid, releasing ? new Exec(exec.result(), exec.stdout(), exec.stderr(), false)
                : exec);
        allExecs.add(sandbox);
        execs.add(sandbox);
        return sandbox;
    }

    /** One exec-mode sandbox. */
    static final class ExecSandbox implements Sandbox {
        private final SandboxSpec spec;
        private final long pid;
        private final Exec exec;
        private final ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        private final CompletableFuture<SandboxResult> end = new CompletableFuture<>();
        private volatile boolean killed;

        ExecSandbox(SandboxSpec spec, long pid, Exec exec) {
            this.spec = spec;
            this.pid = pid;
            this.exec = exec;
            if (!exec.held()) {
                end.complete(exec.result());
            }
        }

        SandboxSpec spec() {
            return spec;
        }

        /** What the program was given on stdin. */
        String input() {
            synchronized (stdin) {
                return stdin.toString(StandardCharsets.UTF_8);
            }
        }

        boolean killed() {
            return killed;
        }

        /** Ends a held sandbox as scripted. */
        void release() {
            end.complete(exec.result());
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public OutputStream stdin() {
            return new OutputStream() {
                @Override
                public void write(int b) {
                    synchronized (stdin) {
                        stdin.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    synchronized (stdin) {
                        stdin.write(b, off, len);
                    }
                }
            };
        }

        @Override
        public InputStream stdout() {
            return new ByteArrayInputStream(exec.stdout());
        }

        @Override
        public InputStream stderr() {
            return new ByteArrayInputStream(exec.stderr());
        }

        @Override
        public SandboxResult waitFor() throws InterruptedException {
            return join(end);
        }

        @Override
        public void kill() {
            killed = true;
            end.complete(new SandboxResult(new Outcome.Signaled(9), Exec.WALL, Duration.ZERO, Duration.ZERO, 0));
        }

        @Override
        public void close() {
            if (!end.isDone()) {
                kill();
            }
        }
    }

    /** One instance's sandbox: an HTTP server on the port its spec names. */
    static final class AppSandbox implements Sandbox {
        private final SandboxSpec spec;
        private final long pid;
        private final App app;
        private final LogStream stdout = new LogStream();
        private final LogStream stderr = new LogStream();
        private final CompletableFuture<SandboxResult> end = new CompletableFuture<>();
        private final HttpServer server;
        private final boolean slowDeath;
        private volatile boolean killed;

        AppSandbox(SandboxSpec spec, long pid, App app, String failStart, boolean slowDeath)
                throws SandboxException {
            this.spec = spec;
            this.pid = pid;
            this.app = app;
            this.slowDeath = slowDeath;
            if (failStart != null) {
                server = null;
                log(failStart);
                end(new Outcome.Exited(1));
                return;
            }
            int port = spec.readyPort().orElseThrow();
            if (!String.valueOf(port).equals(spec.env().get("PORT"))) {
                throw new SandboxException("the app is told to listen on " + spec.env().get("PORT") + ", not " + port);
            }
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
            } catch (IOException e) {
                throw new SandboxException("cannot listen on " + port + ": " + e.getMessage(), e);
            }
            server.setExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fake-app-" + pid + "-", 0)
                    .factory()));
            server.createContext("/", this::serve);
            server.start();
        }

        SandboxSpec spec() {
            return spec;
        }

        /** Writes a line to the app's stderr, as its log. */
        void log(String line) {
            stderr.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }

        /** Ends the app on its own, as a crash would: its connections break. */
        void crash(int code) {
            end(new Outcome.Exited(code));
        }

        boolean ended() {
            return end.isDone();
        }

        boolean killed() {
            return killed;
        }

        /** The end of a killed instance that takes time to die. */
        void die() {
            end(new Outcome.Signaled(9));
        }

        private void serve(HttpExchange exchange) throws IOException {
            try (exchange) {
                var headers = new java.util.LinkedHashMap<String, String>();
                exchange.getRequestHeaders().forEach((name, values) ->
                        headers.put(name.toLowerCase(Locale.ROOT), values.getFirst()));
                byte[] body = exchange.getRequestBody().readAllBytes();
                Reply reply;
                try {
                    reply = app.handle(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                            headers, body), this);
                } catch (Exception e) {
                    return; // no answer: the connection is closed
                }
                if (reply == null || ended()) {
                    return;
                }
                reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
                exchange.getResponseBody().write(reply.body());
            }
        }

        private synchronized void end(Outcome outcome) {
            if (end.isDone()) {
                return;
            }
            stopServing();
            stdout.end();
            stderr.end();
            end.complete(new SandboxResult(outcome, Duration.ofSeconds(1), Duration.ZERO, Duration.ZERO, 0));
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public PortState awaitPort() {
            return end.isDone() ? PortState.ENDED : PortState.LISTENING;
        }

        @Override
        public OutputStream stdin() {
            return OutputStream.nullOutputStream();
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
        public SandboxResult waitFor() throws InterruptedException {
            return join(end);
        }

        private synchronized void stopServing() {
            if (server != null && !killed) {
                server.stop(0);
            }
            killed = true;
        }

        @Override
        public void kill() {
            if (slowDeath) {
                stopServing();
            } else {
                end(new Outcome.Signaled(9));
            }
        }

        @Override
        public void close() {
            kill();
        }
    }

    /** A pipe's reading end: blocks until written to or ended, and says what is buffered. */
    static final class LogStream extends InputStream {
        private byte[] buffer = new byte[0];
        private int position;
        private boolean ended;

        synchronized void write(byte[] bytes) {
            byte[] rest = Arrays.copyOfRange(buffer, position, buffer.length);
            buffer = Arrays.copyOf(rest, rest.length + bytes.length);
            System.arraycopy(bytes, 0, buffer, rest.length, bytes.length);
            position = 0;
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        @Override
        public synchronized int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] into, int offset, int length) throws IOException {
            while (position == buffer.length && !ended) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
            }
            if (position == buffer.length) {
                return -1;
            }
            int n = Math.min(length, buffer.length - position);
            System.arraycopy(buffer, position, into, offset, n);
            position += n;
            return n;
        }

        @Override
        public synchronized int available() {
            return buffer.length - position;
        }

        @Override
        public void close() {
            end();
        }
    }

    private static SandboxResult join(CompletableFuture<SandboxResult> end) throws InterruptedException {
        try {
            return end.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
