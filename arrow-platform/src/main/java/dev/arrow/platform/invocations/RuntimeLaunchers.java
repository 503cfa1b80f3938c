package dev.arrow.platform.invocations;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.RuntimeHandler;
import dev.arrow.sandbox.Mount;
import java.util.List;
import java.util.Map;

/** How this node runs a handler with one of Arrow's language runtimes. */
@FunctionalInterface
public interface RuntimeLaunchers {

    /** What an instance of a runtime arrow runs: the bootstrap's argv, its variables and mounts. */
    record Launch(List<String> command, Map<String, String> env, List<Mount> mounts) {
        public Launch {
            command = List.copyOf(command);
            env = Map.copyOf(env);
            mounts = List.copyOf(mounts);
        }
    }

    /** @throws InvalidInputException the handler is not valid for its runtime */
    Launch launch(RuntimeHandler handler);

    RuntimeLaunchers NONE = handler -> {
        throw new InvalidInputException("runtime", "this node has no language runtimes installed");
    };
}
