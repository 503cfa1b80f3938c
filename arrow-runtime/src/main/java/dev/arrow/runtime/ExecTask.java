package dev.arrow.runtime;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One exec-mode invocation to run: the program, what it may use, and the code it sees at /code.
 *
 * @param command argv; a relative program name is looked up on PATH
 * @param env     variables on top of the sandbox's PATH and HOME
 * @param code    a host directory shown read-only at /code (and then the working directory)
 * @param limits  the sandbox's limits; its wall time is the invocation's timeout
 * @param network the sandbox's network
 * @param mounts  further host paths shown inside (e.g. the node's API socket)
 */
public record ExecTask(List<String> command, Map<String, String> env, Optional<Path> code, Limits limits,
        NetworkPolicy network, List<Mount> mounts) {

    /** Where the code bundle appears inside the sandbox. */
    public static final String CODE_DIR = "/code";

    public ExecTask {
        command = List.copyOf(command);
        env = Map.copyOf(env);
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(network, "network");
        mounts = List.copyOf(mounts);
    }

    /** A task without further mounts. */
    public ExecTask(List<String> command, Map<String, String> env, Optional<Path> code, Limits limits,
            NetworkPolicy network) {
        this(command, env, code, limits, network, List.of());
    }
}
