package dev.arrow.server;

import dev.arrow.platform.invocations.DispatchSettings;
import dev.arrow.platform.invocations.RuntimeLaunchers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a node runs. Defaults ({@link #defaults()}): listen on 127.0.0.1:7070, state under
 * {@code $ARROW_HOME} or {@code ~/.arrow}, {@link DispatchSettings#DEFAULT} capacity, a pool of
 * {@value #DEFAULT_PREWARM} prewarmed sandboxes.
 *
 * @param host     address to listen on; loopback unless asked, because the API holds an admin token
 * @param port     port to listen on; 0 picks a free one (tests)
 * @param home     directory of the node's state: {@code arrow.db}, {@code bundles/}, {@code token}
 * @param dispatch capacity and queue bounds
 * @param runtimes how handlers of Arrow's language runtimes are run; NONE: the node installs Arrow's own
 *                 under {@code home} at start
 * @param prewarm  sandboxes kept prewarmed for cold starts (0 to {@value #MAX_PREWARM}); each costs
 *                 two idle processes and a few MiB, reported in /metrics
 * @param bodyDeadline how long a request body the node reads whole may take to arrive, however
 *                 steadily it trickles in; then 408 (default {@link #DEFAULT_BODY_DEADLINE})
 */
public record NodeConfig(String host, int port, Path home, DispatchSettings dispatch, RuntimeLaunchers runtimes,
        int prewarm, Duration bodyDeadline) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7070;
    public static final int DEFAULT_PREWARM = 4;
    public static final int MAX_PREWARM = 64;
    /** Time for a whole request body to arrive: a 1 GiB bundle at 20 MB/s, not a slow trickle forever. */
    public static final Duration DEFAULT_BODY_DEADLINE = Duration.ofSeconds(60);

    public NodeConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(dispatch, "dispatch");
        Objects.requireNonNull(runtimes, "runtimes");
        Objects.requireNonNull(bodyDeadline, "bodyDeadline");
        if (bodyDeadline.isNegative() || bodyDeadline.isZero()) {
            throw new IllegalArgumentException("bodyDeadline must be positive: " + bodyDeadline);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
        }
        if (prewarm < 0 || prewarm > MAX_PREWARM) {
            throw new IllegalArgumentException("prewarm must be between 0 and " + MAX_PREWARM + ": " + prewarm);
        }
    }

    /** With the default prewarm pool. */
    public NodeConfig(String host, int port, Path home, DispatchSettings dispatch, RuntimeLaunchers runtimes) {
        this(host, port, home, dispatch, runtimes, DEFAULT_PREWARM);
    }

    /** With the default body deadline. */
    public NodeConfig(String host, int port, Path home, DispatchSettings dispatch, RuntimeLaunchers runtimes,
            int prewarm) {
        this(host, port, home, dispatch, runtimes, prewarm, DEFAULT_BODY_DEADLINE);
    }

    /** Without language runtimes. */
    public NodeConfig(String host, int port, Path home, DispatchSettings dispatch) {
        this(host, port, home, dispatch, RuntimeLaunchers.NONE);
    }

    public static NodeConfig defaults() {
        return new NodeConfig(DEFAULT_HOST, DEFAULT_PORT, defaultHome(), DispatchSettings.DEFAULT, RuntimeLaunchers.NONE,
                DEFAULT_PREWARM);
    }

    /** {@code $ARROW_HOME}, else {@code ~/.arrow}. */
    public static Path defaultHome() {
        String env = System.getenv("ARROW_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".arrow");
    }

    public NodeConfig withListen(String newHost, int newPort) {
        return new NodeConfig(newHost, newPort, home, dispatch, runtimes, prewarm, bodyDeadline);
    }

    public NodeConfig withHome(Path newHome) {
        return new NodeConfig(host, port, newHome, dispatch, runtimes, prewarm, bodyDeadline);
    }

    public NodeConfig withDispatch(DispatchSettings settings) {
        return new NodeConfig(host, port, home, settings, runtimes, prewarm, bodyDeadline);
    }

    public NodeConfig withRuntimes(RuntimeLaunchers launchers) {
        return new NodeConfig(host, port, home, dispatch, launchers, prewarm, bodyDeadline);
    }

    public NodeConfig withPrewarm(int sandboxes) {
        return new NodeConfig(host, port, home, dispatch, runtimes, sandboxes, bodyDeadline);
    }

    public NodeConfig withBodyDeadline(Duration deadline) {
        return new NodeConfig(host, port, home, dispatch, runtimes, prewarm, deadline);
    }
}
