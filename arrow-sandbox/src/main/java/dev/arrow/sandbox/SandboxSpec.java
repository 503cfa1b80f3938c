package dev.arrow.sandbox;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Everything a sandbox needs, immutable and validated up front so that a bad spec fails here with
 * a clear message instead of deep inside the helper.
 *
 * @param argv     the program and its arguments; the program is looked up on the sandbox's PATH
 * @param env      the program's whole environment: the host's is never passed through
 * @param workdir  working directory inside the sandbox (absolute)
 * @param mounts   host paths made visible inside the sandbox
 * @param limits   resource limits
 * @param network  what network the sandbox sees
 * @param uid      user id the program runs as
 * @param gid      group id the program runs as
 * @param hostname the sandbox's host name
 * @param readyPort a TCP port that the program will listen on at the sandbox's 127.0.0.1, watched
 *                  for {@link Sandbox#awaitPort()}; empty when there is none
 */
public record SandboxSpec(
        List<String> argv,
        Map<String, String> env,
        String workdir,
        List<Mount> mounts,
        Limits limits,
        NetworkPolicy network,
        int uid,
        int gid,
        String hostname,
        OptionalInt readyPort) {

    /** The unprivileged "nobody" user and group: nothing on the host belongs to them. */
    public static final int NOBODY = 65534;

    public static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?");

    public SandboxSpec {
        argv = List.copyOf(argv); // also rejects null elements
        if (argv.isEmpty() || argv.getFirst().isEmpty()) {
            throw new IllegalArgumentException("argv must name a program");
        }
        argv.forEach(arg -> requireNoNul(arg, "argument"));
        env = copyEnv(env);
        Objects.requireNonNull(workdir, "workdir");
        if (!workdir.startsWith("/")) {
            throw new IllegalArgumentException("workdir must be an absolute path: " + workdir);
        }
        requireNoNul(workdir, "workdir");
        mounts = List.copyOf(mounts);
        requireDistinctTargets(mounts);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(network, "network");
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("uid and gid must not be negative: " + uid + ":" + gid);
        }
        Objects.requireNonNull(hostname, "hostname");
        if (!HOSTNAME.matcher(hostname).matches()) {
            throw new IllegalArgumentException("not a valid host name: " + hostname);
        }
        Objects.requireNonNull(readyPort, "readyPort");
        if (readyPort.isPresent() && (readyPort.getAsInt() < 1 || readyPort.getAsInt() > 65535)) {
            throw new IllegalArgumentException("readyPort must be a TCP port (1 to 65535): " + readyPort.getAsInt());
        }
    }

    /** A builder with safe defaults: nobody, no network, workdir /, a standard PATH and HOME=/tmp. */
    public static Builder builder(String... argv) {
        return new Builder(List.of(argv));
    }

    public static Builder builder(List<String> argv) {
        return new Builder(argv);
    }

    static void requireNoNul(String value, String what) {
        // A NUL would silently cut the string short when the helper reads it as a C string.
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must not contain a NUL character");
        }
    }

    // Insertion order is kept so that the helper's command line is deterministic.
    private static Map<String, String> copyEnv(Map<String, String> env) {
        var copy = new LinkedHashMap<String, String>();
        env.forEach((name, value) -> {
            Objects.requireNonNull(name, "environment variable name");
            Objects.requireNonNull(value, () -> "value of environment variable " + name);
            if (name.isEmpty() || name.indexOf('=') >= 0) {
                throw new IllegalArgumentException("not a valid environment variable name: '" + name + "'");
            }
            requireNoNul(name, "environment variable name");
            requireNoNul(value, "environment variable " + name);
            copy.put(name, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static void requireDistinctTargets(List<Mount> mounts) {
        var seen = new HashSet<String>();
        for (Mount mount : mounts) {
            if (!seen.add(mount.target())) {
                throw new IllegalArgumentException("two mounts at " + mount.target());
            }
        }
    }

    /** Collects a spec step by step; {@link #build()} validates it. */
    public static final class Builder {
        private final List<String> argv;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir = "/";
        private final List<Mount> mounts = new ArrayList<>();
        private Limits limits = Limits.DEFAULT;
        private NetworkPolicy network = NetworkPolicy.NONE;
        private int uid = NOBODY;
        private int gid = NOBODY;
        private String hostname = "arrow";
        private OptionalInt readyPort = OptionalInt.empty();

        private Builder(List<String> argv) {
            this.argv = List.copyOf(argv);
            env.put("PATH", DEFAULT_PATH);
            env.put("HOME", "/tmp"); // the only writable place a default sandbox has
        }

        /** Sets one variable, replacing a default or an earlier value. */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        public Builder workdir(String workdir) {
            this.workdir = workdir;
            return this;
        }

        public Builder mount(Mount mount) {
            mounts.add(mount);
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = limits;
            return this;
        }

        public Builder network(NetworkPolicy network) {
            this.network = network;
            return this;
        }

        public Builder user(int uid, int gid) {
            this.uid = uid;
            this.gid = gid;
            return this;
        }

        public Builder hostname(String hostname) {
            this.hostname = hostname;
            return this;
        }

        /** The port to watch for {@link Sandbox#awaitPort()}. */
        public Builder readyPort(int port) {
            this.readyPort = OptionalInt.of(port);
            return this;
        }

        /** @throws IllegalArgumentException when the spec is not valid */
        public SandboxSpec build() {
            return new SandboxSpec(argv, env, workdir, mounts, limits, network, uid, gid, hostname, readyPort);
        }
    }
}
