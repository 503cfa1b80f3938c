package dev.arrow.runtime.runtimes;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A language runtime: a bootstrap that serves an arrow's handler over HTTP on {@code $PORT} (the
 * {@code http} invocation mode), started with the code bundle as working directory and the handler
 * in {@code ARROW_HANDLER}. The protocol is in {@code dev/arrow/runtime/bootstrap/README.md}.
 */
public enum LanguageRuntime {

    /** {@code module.function}; the module a dotted path imported from the code directory. */
    PYTHON3("python3", "module.function, the module a dotted path (app.handler, pkg.mod.handler)",
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+")) {
        @Override
        public List<String> command(Path runtimeDir) {
            // -u: output unbuffered, so logs come as they are written; -B: the code is read-only.
            return List.of("python3", "-B", "-u", runtimeDir.resolve(Runtimes.PYTHON3_BOOTSTRAP).toString());
        }
    },

    /** {@code file.export}: file.js, file.mjs or file.cjs; the export may be a property path. */
    NODE("node", "file.export, the file without its .js/.mjs/.cjs (index.handler, src/app.handler)",
            Pattern.compile("([A-Za-z0-9_@+=,.-]+/)*[A-Za-z0-9_@+=,-]+(\\.[A-Za-z_$][A-Za-z0-9_$]*)+")) {
        @Override
        public List<String> command(Path runtimeDir) {
            return List.of("node", runtimeDir.resolve(Runtimes.NODE_BOOTSTRAP).toString());
        }
    },

    /** A script run per request: exec'd when executable (its #! line), else with /bin/sh. */
    SHELL("shell", "a script path (handler.sh, bin/run)",
            Pattern.compile("[A-Za-z0-9_@+=,.-]+(/[A-Za-z0-9_@+=,.-]+)*")) {
        @Override
        public List<String> command(Path runtimeDir) {
            return List.of(runtimeDir.resolve(Runtimes.SHELL_RUNTIME).toString());
        }
    };

    /** Longer handler strings are refused. */
    public static final int MAX_HANDLER_LENGTH = 512;

    private final String id;
    private final String format;
    private final Pattern pattern;

    LanguageRuntime(String id, String format, Pattern pattern) {
        this.id = id;
        this.format = format;
        this.pattern = pattern;
    }

    /** The name in manifests and the API: {@code python3}, {@code node}, {@code shell}. */
    public String id() {
        return id;
    }

    /** What a handler looks like, with examples, for messages. */
    public String handlerFormat() {
        return format;
    }

    /**
     * The argv that starts an instance of this runtime, with the runtime directory (what
     * {@link Runtimes#install} returned) shown at {@code runtimeDir}, normally
     * {@link Runtimes#MOUNT_POINT}. Interpreters are named, not given as paths: they are looked up
     * on the sandbox's PATH.
     */
    public abstract List<String> command(Path runtimeDir);

    /** @throws IllegalArgumentException naming the known runtimes, for an unknown id */
    public static LanguageRuntime of(String id) {
        return find(id).orElseThrow(() -> new IllegalArgumentException("unknown runtime '" + id + "': known are "
                + Arrays.stream(values()).map(LanguageRuntime::id).collect(Collectors.joining(", "))));
    }

    public static Optional<LanguageRuntime> find(String id) {
        return Arrays.stream(values()).filter(runtime -> runtime.id.equals(id)).findFirst();
    }

    /**
     * Checks a handler string for this runtime: its form, and for paths that they stay inside the
     * code directory (relative, no {@code ..}).
     *
     * @return the handler
     * @throws IllegalArgumentException with a message fit for the user
     */
    public String validateHandler(String handler) {
        String prefix = "handler for runtime " + id;
        if (handler == null || handler.isEmpty()) {
            throw new IllegalArgumentException(prefix + " is missing: it is " + format);
        }
        prefix = prefix + " '" + (handler.length() > 80 ? handler.substring(0, 80) + "..." : handler) + "'";
        if (handler.length() > MAX_HANDLER_LENGTH) {
            throw new IllegalArgumentException(prefix + " is longer than " + MAX_HANDLER_LENGTH + " characters");
        }
        if (this != PYTHON3) {
            if (handler.startsWith("/")) {
                throw new IllegalArgumentException(prefix + " must be relative to the code directory, not absolute");
            }
            if (handler.contains("..")) {
                throw new IllegalArgumentException(prefix + " must not contain '..'");
            }
            if (Arrays.asList(handler.split("/", -1)).contains(".")) {
                throw new IllegalArgumentException(prefix + " must not contain '.' as a path segment");
            }
        }
        if (!pattern.matcher(handler).matches()) {
            throw new IllegalArgumentException(prefix + " is not " + format);
        }
        return handler;
    }
}
