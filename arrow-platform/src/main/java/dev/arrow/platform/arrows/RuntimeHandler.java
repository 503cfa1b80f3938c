package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import java.util.Set;

/**
 * A handler run by one of Arrow's language runtimes instead of a command of the arrow's own: the
 * runtime's bootstrap serves HTTP and calls the handler once per invocation, reusing the process.
 *
 * @param runtime {@code python3}, {@code node} or {@code shell}
 * @param handler python3: {@code module.function}; node: {@code file.export}; shell: a script path
 */
public record RuntimeHandler(String runtime, String handler) {

    public static final Set<String> RUNTIMES = Set.of("python3", "node", "shell");

    public RuntimeHandler {
        if (runtime == null || !RUNTIMES.contains(runtime)) {
            throw new InvalidInputException("runtime", "runtime must be python3, node or shell, not '" + runtime + "'");
        }
        if (handler == null || handler.isBlank()) {
            throw new InvalidInputException("handler", "a " + runtime + " arrow needs a handler, e.g. "
                    + switch (runtime) {
                        case "python3" -> "main.handler";
                        case "node" -> "index.handler";
                        default -> "handler.sh";
                    });
        }
        if (handler.length() > 256 || handler.indexOf('\0') >= 0) {
            throw new InvalidInputException("handler", "handler must be at most 256 characters, without NUL");
        }
    }
}
