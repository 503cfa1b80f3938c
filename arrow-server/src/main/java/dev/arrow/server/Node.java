package dev.arrow.server;

import dev.arrow.events.queues.QueuePollers;
import dev.arrow.flows.execution.FlowEngine;
import dev.arrow.flows.execution.FlowSettings;
import dev.arrow.platform.access.SandboxApi;
import dev.arrow.platform.access.SandboxTokens;
import dev.arrow.platform.arrows.ArrowService;
import dev.arrow.platform.invocations.DispatchClock;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.RuntimeLaunchers;
import dev.arrow.platform.invocations.VmTier;
import dev.arrow.platform.invocations.WarmInstances;
import dev.arrow.runtime.ExecInvoker;
import dev.arrow.runtime.bundle.BundleLimits;
import dev.arrow.runtime.instances.InstanceClient;
import dev.arrow.runtime.instances.MemoryBudget;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.Sandboxes;
import dev.arrow.services.kv.KvService;
import dev.arrow.server.s3.S3Listener;
import dev.arrow.services.objects.AccessKeys;
import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.queues.QueueService;
import dev.arrow.state.bundles.FileBundleStore;
import dev.arrow.state.SqliteState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;

/**
 * One Arrow node: the state store, the platform services and the HTTP API, wired and running.
 * {@link #start} returns once the API accepts connections and accepted async work has resumed.
 */
public final class Node implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Node.class.getName());

    private final NodeConfig config;
    private final SqliteState state;
    private final InvocationService invocations;
    private final WarmInstances warm;
    private final SandboxDriver driver;
    private final Server server;
    private final IdleHeap idleHeap;
    private final int port;
    private final S3Listener s3;
    private final NodeEvents events;
    private final ArrowTriggers triggers;
    private final NodeFlows flows;

    private Node(NodeConfig config, SqliteState state, InvocationService invocations, WarmInstances warm,
            SandboxDriver driver, Server server, IdleHeap idleHeap, int port, S3Listener s3, NodeEvents events, ArrowTriggers triggers,
            NodeFlows flows) {
        this.flows = flows;
        this.s3 = s3;
        this.triggers = triggers;
        this.events = events;
        this.config = config;
        this.state = state;
        this.invocations = invocations;
        this.warm = warm;
        this.driver = driver;
        this.server = server;
        this.idleHeap = idleHeap;
        this.port = port;
    }

    public static Node start(NodeConfig config) throws IOException {
        return start(config, FlowSettings.defaults());
    }

    /** {@code flowSettings}: the flows' limits and retention ({@code arrow serve --flow-retention}). */
    public static Node start(NodeConfig config, FlowSettings flowSettings) throws IOException {
        Path home = config.home();
        Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        String token = TokenFile.loadOrCreate(home);
        Path socketDir = prepareSocketDir(home);
        DispatchClock clock = DispatchClock.systemUTC();

        // The metrics' JVM binders (management beans) and Jetty's server (its static initialisers:
        // MIME tables, version, thread pool) are a large part of the node's start (`arrow bench node`), and
        // neither needs the state: a second thread makes them while this one opens it.
        ExecutorService starter = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("arrow-start").daemon().factory());
        CompletableFuture<NodeMetrics> newMetrics = CompletableFuture.supplyAsync(NodeMetrics::new, starter);
        CompletableFuture<Server> unstarted = CompletableFuture.supplyAsync(() -> newServer(config), starter);
        starter.shutdown(); // its thread ends once both are made
        SqliteState state = SqliteState.open(home.resolve("arrow.db"));
        WarmInstances warm = null;
        S3Listener s3 = null;
        NodeEvents events = null;
        ArrowTriggers triggers = null;
        NodeFlows flows = null;
        SandboxDriver driver = Sandboxes.processDriver();
        try {
            var bundles = new FileBundleStore(home.resolve("bundles"), BundleLimits.DEFAULT);
            NodeMetrics metrics = newMetrics.join();
            var invoker = new ExecInvoker(driver, config.dispatch().output());
            // isolation: vm arrows run in a tier of their own, its driver made at their first invocation.
            VmTier vm = VmTier.ofHost(config.dispatch().output());
            var arrows = new ArrowService(state.arrows(), bundles, clock, vm::check);
            RuntimeLaunchers runtimes = config.runtimes() == RuntimeLaunchers.NONE ? InstalledRuntimes.install(home)
                    : config.runtimes();
            warm = new WarmInstances(driver, bundles, runtimes, config.dispatch(), clock, metrics,
                    MemoryBudget.ofMachine(), Duration.ofSeconds(1));
            var invocations = new InvocationService(state.arrows(), bundles, state.invocations(), invoker, warm,
                    config.dispatch(), clock, metrics);
            metrics.bind(invocations, warm, driver);
            invocations.giveVmTier(vm);
            warm.giveVmTier(vm);
            var sandboxTokens = new SandboxTokens(); // in memory: a restart revokes them all
            invocations.giveSandboxesApi(new SandboxApi(sandboxTokens, socketDir));
            metrics.bind(sandboxTokens);
            driver.prewarm(config.prewarm());
            vm.prewarm(config.vmPrewarm());
            metrics.bindVm(vm);
            var kv = new KvService(state.kv(), clock);
            var queues = new QueueService(state.queues(), clock);
            metrics.bind(queues);
            var accessKeys = new AccessKeys(state.accessKeys(), clock);
            var objects = new ObjectService(state.objects(), clock);
            FlowMetrics flowMetrics = metrics.flows();
            flowMetrics.bind(state.flows());
            flows = new NodeFlows(new FlowEngine(state.flows(), new NodeFlowCalls(invocations),
                    new NodeFlowEvents(state.events()), clock, flowSettings, flowMetrics));
            NodeFlows started = flows;
            events = new NodeEvents(new NoticedEventLog(state.events(), started::eventStored), invocations, queues, clock,
                    config.dispatch().maxConcurrent(), flows);
            flows.attach(events);
            events.watch(objects);
            metrics.bind(events);
            triggers = new ArrowTriggers(arrows, invocations, new RouteTable(),
                    Optional.of(new QueuePollers(queues, new InvocationRunner(invocations), clock)));
            var routes = new ApiRoutes(arrows, invocations, bundles, kv, queues, accessKeys, objects, metrics, openApi(),
                    config.dispatch().maxInputBytes(), events, triggers,
                    new FlowRoutes(flows, flowSettings.maxDefinitionBytes(), config.dispatch().maxInputBytes(), clock));

            Server server = unstarted.join();
            var connector = (NodeConnector) server.getConnectors()[0];
            var gateway = new Gateway(invocations, warm::client,
                    Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("arrow-gateway-wait-", 0).factory()),
                    connector.selectorThread(), connector.getScheduler(), config.dispatch().maxInputBytes(), triggers.routes());
            server.setHandler(new ApiHandler(routes.router(), token, sandboxTokens, gateway,
                    config.bodyDeadline()));
            warm.makeInstanceClientWith(() -> new InstanceClient(connector.getSelectorManager()));
            connector.getConnectionFactory(GatewayConnectionFactory.class).serve(gateway, config.headDeadline());
            if (config.s3Listen().isPresent()) {
                NodeConfig.Listen listen = config.s3Listen().get();
                s3 = S3Listener.start(listen.host(), listen.port(), objects, accessKeys, clock);
            }
            try {
                server.start();
                // Sandboxes run as another user (nobody): they connect, which takes write permission.
                Files.setPosixFilePermissions(socketDir.resolve(SandboxApi.SOCKET_NAME),
                        PosixFilePermissions.fromString("rw-rw-rw-"));
            } catch (IOException e) {
                throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
            } catch (Exception e) {
                throw new IOException("cannot start the HTTP server: " + e.getMessage(), e);
            }
            invocations.start();
            // Before the deliveries start: a delivery owed to a flow whose start is not registered is dead-lettered.
            flows.start();
            events.start(state.arrows());
            triggers.load();
            var idleHeap = new IdleHeap(metrics.idleHeapReleases());
            idleHeap.start();
            int port = connector.getLocalPort();
            LOG.info(() -> "arrow node listening on http://" + config.host() + ":" + port + " and, for sandboxes, on "
                    + socketDir.resolve(SandboxApi.SOCKET_NAME) + "; state in " + home);
            return new Node(config, state, invocations, warm, driver, server, idleHeap, port, s3, events, triggers, flows);
        } catch (IOException | RuntimeException e) {
            if (flows != null) {
                flows.close();
            }
            if (triggers != null) {
                triggers.close();
            }
            if (events != null) {
                events.close();
            }
            if (s3 != null) {
                s3.close();
            }
            if (warm != null) {
                warm.close();
            }
            driver.prewarm(0);
            state.close();
            throw e;
        }
    }

    /**
     * The directory of the socket sandboxes reach the node on: traversable by the sandboxes' user,
     * whose view of it is this directory alone (mounted at /run/arrow); a socket left by a node
     * that was killed is removed, or binding it again would fail.
     */
    private static Path prepareSocketDir(Path home) throws IOException {
        Path dir = home.resolve("run");
        Path socket = dir.resolve(SandboxApi.SOCKET_NAME);
        if (socket.toAbsolutePath().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                >= UnixDomainServerConnector.MAX_UNIX_DOMAIN_PATH_LENGTH) {
            throw new IOException("the node's socket path " + socket.toAbsolutePath() + " is too long for a Unix socket"
                    + " (at most " + (UnixDomainServerConnector.MAX_UNIX_DOMAIN_PATH_LENGTH - 1) + " bytes): choose a"
                    + " shorter home");
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        Files.deleteIfExists(socket);
        return dir;
    }

    /** The HTTP server, not started, without its handler. */
    private static Server newServer(NodeConfig config) {
        var server = new Server(new ServerThreads());
        var http = new HttpConfiguration();
        // Jetty's default refuses an encoded '%' (%25) in a path as ambiguous; a KV key is the
        // rest of its path, read once from the path as sent, and '%' is a key's character like
        // any other. The gateway forwards paths as sent. The other ambiguities (%2F, '//', %2e
        // segments) and suspicious characters stay refused.
        http.setUriCompliance(UriCompliance.DEFAULT.with("ARROW", UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING));
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        var httpFactory = new HttpConnectionFactory(http);
        var connector = new NodeConnector(server, new GatewayConnectionFactory(httpFactory), httpFactory);
        connector.setHost(config.host());
        connector.setPort(config.port());
        server.addConnector(connector);
        var limit = new ConnectionLimit(config.connectionLimit(), NodeConfig.CROWDED_IDLE_TIMEOUT, connector);
        server.addBean(limit);
        connector.getConnectionFactory(GatewayConnectionFactory.class).limitedBy(limit);
        // The door of sandboxes: the same handler behind a Unix socket, with a connection limit of its own.
        var socket = new UnixDomainServerConnector(server, new HttpConnectionFactory(http));
        socket.setUnixDomainPath(config.home().resolve("run").resolve(SandboxApi.SOCKET_NAME));
        server.addConnector(socket);
        server.addBean(new NetworkConnectionLimit(config.connectionLimit(), socket));
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(config.dispatch().shutdownGrace().toMillis());
        return server;
    }

    public int port() {
        return port;
    }

    public URI uri() {
        return URI.create("http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":" + port);
    }

    /** Where the S3 listener listens (with its real port); empty when it is off. */
    public Optional<URI> s3Uri() {
        return Optional.ofNullable(s3).map(S3Listener::uri);
    }

    public Path home() {
        return config.home();
    }

    /** Blocks until the node has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops taking requests, lets running invocations finish within the grace period, closes the store. */
    @Override
    public void close() {
        try {
            idleHeap.close();
            triggers.close(); // batches cut short come back after their visibility timeout
            flows.close(); // runs stay RUNNING in the store: resumed at the next start
            events.close(); // deliveries cut short stay pending: delivered after the next start
            invocations.close();
            if (s3 != null) {
                s3.close();
            }
            server.stop();
            warm.close();
            driver.prewarm(0); // the pool's processes end with the node, not with the JVM
        } catch (Exception e) {
            LOG.warning("stopping the HTTP server: " + e.getMessage());
        } finally {
            state.close();
        }
    }

    private static byte[] openApi() {
        try (InputStream in = Node.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
