package dev.arrow.server;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.arrow.platform.invocations.DispatchSettings;
import dev.arrow.platform.invocations.RuntimeLaunchers;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

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
 * @param headDeadline how long a request's head (its request line and headers) may take to arrive
 *                 from its first byte, however steadily it trickles in; then 408 and the
 *                 connection closes (default {@link #DEFAULT_HEAD_DEADLINE})
 * @param s3Listen where the S3-compatible listener listens; empty: it is off (the default but for
 *                 {@link #defaults()}, which listens on 127.0.0.1:{@value #DEFAULT_S3_PORT})
 * @param maxConnections how many client connections the node holds at once; beyond, new ones wait
 *                 in the kernel's accept queue and idle ones are closed after
 *                 {@link #CROWDED_IDLE_TIMEOUT} instead of the usual 30 s, so that many slow or idle
 *                 clients cannot take the file descriptors its sandboxes and state need; 0 (the
 *                 default): 10,000, or half the file descriptors the node may open when that is less
 * @param vmPrewarm restored VMs kept waiting for {@code isolation: vm} arrows (0, the default, to
 *                 {@value #MAX_VM_PREWARM}); each holds its guest's touched RAM and a qemu, reported in /metrics
 */
public record NodeConfig(String host, int port, Path home, DispatchSettings dispatch, RuntimeLaunchers runtimes,
        int prewarm, Duration bodyDeadline, Duration headDeadline, int maxConnections, Optional<Listen> s3Listen,
        int vmPrewarm) {

    /** An address to listen on; port 0 picks a free one. */
    public record Listen(String host, int port) {
        public Listen {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
            }
        }
    }

    /** Where {@code arrow serve} listens for S3 clients unless told otherwise. */
    public static final int DEFAULT_S3_PORT = 7072;

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7070;
    public static final int DEFAULT_PREWARM = 4;
    public static final int MAX_PREWARM = 64;
    public static final int MAX_VM_PREWARM = 16;
    /** Time for a whole request body to arrive: a 1 GiB bundle at 20 MB/s, not a slow trickle forever. */
    public static final Duration DEFAULT_BODY_DEADLINE = Duration.ofSeconds(60);
    /** Time for a request's head (at most a few KiB) to arrive once it has begun, as Apache's default. */
    public static final Duration DEFAULT_HEAD_DEADLINE = Duration.ofSeconds(20);
    /** The idle timeout of client connections while the node is at {@code maxConnections}. */
    public static final Duration CROWDED_IDLE_TIMEOUT = Duration.ofSeconds(5);

    public NodeConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(s3Listen, "s3Listen");
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(dispatch, "dispatch");
        Objects.requireNonNull(runtimes, "runtimes");
        Objects.requireNonNull(bodyDeadline, "bodyDeadline");
        if (bodyDeadline.isNegative() || bodyDeadline.isZero()) {
            throw new IllegalArgumentException("bodyDeadline must be positive: " + bodyDeadline);
        }
        Objects.requireNonNull(headDeadline, "headDeadline");
        if (headDeadline.isNegative() || headDeadline.isZero()) {
            throw new IllegalArgumentException("headDeadline must be positive: " + headDeadline);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be 0 (derived) or more: " + maxConnections);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
        }
        if (prewarm < 0 || prewarm > MAX_PREWARM) {
            throw new IllegalArgumentException("prewarm must be between 0 and " + MAX_PREWARM + ": " + prewarm);
        }
        if (vmPrewarm < 0 || vmPrewarm > MAX_VM_PREWARM) {
            throw new IllegalArgumentException("vmPrewarm must be between 0 and " + MAX_VM_PREWARM + ": " + vmPrewarm);
        }
    }

    /** Without a VM pool. */
    public NodeConfig(String host, int port, Path home, DispatchSettings dispatch, RuntimeLaunchers runtimes,
            int prewarm, Duration bodyDeadline, Duration headDeadline, int maxConnections, Optional<Listen> s3Listen) {
        this(host, port, home, dispatch, runtimes, prewarm, bodyDeadline, headDeadline, maxConnections, s3Listen, 0);
    }

    /** With the default prewarm pool. */
    public NodeConfig(String host, int port, Path home, DispatchSettings dispatch, RuntimeLaunchers runtimes) {
        this(host, port, home, dispatch, runtimes, DEFAULT_PREWARM);
    }

    /** With the default body deadline. */
    public NodeConfig(String host, int port, Path home, DispatchSettings dispatch, RuntimeLaunchers runtimes,
            int prewarm) {
        this(host, port, home, dispatch, runtimes, prewarm, DEFAULT_BODY_DEADLINE, DEFAULT_HEAD_DEADLINE, 0,
                Optional.empty());
    }

    /** {@link #maxConnections}, derived from the machine when 0 (read off the start's critical path). */
    int connectionLimit() {
        if (maxConnections > 0) {
            return maxConnections;
        }
        long fds = ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount() : 20_000;
        return (int) Math.max(64, Math.min(10_000, fds / 2));
    }

    /** Without language runtimes. */
    public NodeConfig(String host, int port, Path home, DispatchSettings dispatch) {
        this(host, port, home, dispatch, RuntimeLaunchers.NONE);
    }

    public static NodeConfig defaults() {
        return new NodeConfig(DEFAULT_HOST, DEFAULT_PORT, defaultHome(), DispatchSettings.DEFAULT, RuntimeLaunchers.NONE,
                DEFAULT_PREWARM).withS3Listen(Optional.of(new Listen(DEFAULT_HOST, DEFAULT_S3_PORT)));
    }

    /** {@code $ARROW_HOME}, else {@code ~/.arrow}. */
    public static Path defaultHome() {
        String env = System.getenv("ARROW_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".arrow");
    }

    public NodeConfig withListen(String newHost, int newPort) {
        return new NodeConfig(newHost, newPort, home, dispatch, runtimes, prewarm, bodyDeadline,
                headDeadline, maxConnections, s3Listen, vmPrewarm);
    }

    public NodeConfig withHome(Path newHome) {
        return new NodeConfig(host, port, newHome, dispatch, runtimes, prewarm, bodyDeadline,
                headDeadline, maxConnections, s3Listen, vmPrewarm);
    }

    public NodeConfig withDispatch(DispatchSettings settings) {
        return new NodeConfig(host, port, home, settings, runtimes, prewarm, bodyDeadline,
                headDeadline, maxConnections, s3Listen, vmPrewarm);
    }

    public NodeConfig withRuntimes(RuntimeLaunchers launchers) {
        return new NodeConfig(host, port, home, dispatch, launchers, prewarm, bodyDeadline,
                headDeadline, maxConnections, s3Listen, vmPrewarm);
    }

    public NodeConfig withPrewarm(int sandboxes) {
        return new NodeConfig(host, port, home, dispatch, runtimes, sandboxes, bodyDeadline,
                headDeadline, maxConnections, s3Listen, vmPrewarm);
    }

    public NodeConfig withBodyDeadline(Duration deadline) {
        return new NodeConfig(host, port, home, dispatch, runtimes, prewarm, deadline,
                headDeadline, maxConnections, s3Listen, vmPrewarm);
    }

    public NodeConfig withMaxConnections(int connections) {
        return new NodeConfig(host, port, home, dispatch, runtimes, prewarm, bodyDeadline,
                headDeadline, connections, s3Listen, vmPrewarm);
    }

    public NodeConfig withHeadDeadline(Duration deadline) {
        return new NodeConfig(host, port, home, dispatch, runtimes, prewarm, bodyDeadline,
                deadline, maxConnections, s3Listen, vmPrewarm);
    }

    public NodeConfig withS3Listen(Optional<Listen> listen) {
        return new NodeConfig(host, port, home, dispatch, runtimes, prewarm, bodyDeadline, headDeadline,
                maxConnections, listen, vmPrewarm);
    }

    public NodeConfig withVmPrewarm(int vms) {
        return new NodeConfig(host, port, home, dispatch, runtimes, prewarm, bodyDeadline, headDeadline,
                maxConnections, s3Listen, vms);
    }
}
