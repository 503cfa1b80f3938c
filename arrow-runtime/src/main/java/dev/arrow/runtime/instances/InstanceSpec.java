package dev.arrow.runtime.instances;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What every instance of one arrow revision runs: a long-lived server on {@code $PORT}.
 *
 * @param command       argv of the server
 * @param env           variables on top of the sandbox's PATH and HOME; PORT is added
 * @param code          a host directory shown read-only at /code, the working directory
 * @param mounts        further read-only host paths (e.g. a language runtime's bootstrap)
 * @param limits        the sandbox's limits; a wall time, if any, is ignored (instances live on)
 * @param network       NONE: the instance's own namespace, reached through it; HOST: a free host port
 * @param port          the port inside a private namespace
 * @param readinessPath a path that must answer below 500 before the instance takes traffic
 * @param startTimeout  from the sandbox's start to ready
 */
public record InstanceSpec(List<String> command, Map<String, String> env, Optional<Path> code, List<Mount> mounts,
        Limits limits, NetworkPolicy network, int port, Optional<String> readinessPath, Duration startTimeout) {

    public InstanceSpec {
        command = List.copyOf(command);
        env = Map.copyOf(env);
        Objects.requireNonNull(code, "code");
        mounts = List.copyOf(mounts);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(readinessPath, "readinessPath");
        Objects.requireNonNull(startTimeout, "startTimeout");
    }
}
