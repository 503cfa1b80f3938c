package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.sandbox.NetworkPolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a deploy says an arrow is; each deploy stores one as a new {@link Revision}. Validated on
 * construction, each complaint naming the field as the API and manifests spell it.
 *
 * @param name    the arrow's name ({@link ArrowName})
 * @param mode    how it is invoked
 * @param command argv of the program, looked up on the sandbox's PATH or relative to /code
 * @param env     environment of the program, on top of PATH and HOME
 * @param bundle  digest of the code bundle mounted read-only at /code, if any
 * @param limits  resources of each sandbox
 * @param network what network the sandbox sees
 * @param scaling how many may run at once
 * @param runtime a handler for one of Arrow's language runtimes, instead of a command (http mode)
 * @param http    how an http-mode instance is reached and found ready
 * @param bindings what of the node's services it may reach from inside its sandbox
 * @param triggers what makes it run besides a call, as declared (the events layer reads them)
 * @param isolation which sandbox tier runs it
 */
public record ArrowSpec(
        String name,
        Mode mode,
        List<String> command,
        Map<String, String> env,
        Optional<String> bundle,
        ArrowLimits limits,
        NetworkPolicy network,
        Scaling scaling,
        Optional<RuntimeHandler> runtime,
        HttpSettings http,
        Bindings bindings,
        DeclaredTriggers triggers,
        Isolation isolation) {

    public static final int MAX_COMMAND_ARGS = 256;
    public static final int MAX_ENV = 256;
    public static final int MAX_VALUE_CHARS = 32 * 1024;
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    public ArrowSpec {
        ArrowName.require(name, "name");
        if (mode == null) {
            throw new InvalidInputException("mode", "mode is required");
        }
        runtime = runtime == null ? Optional.empty() : runtime;
        http = Objects.requireNonNullElse(http, HttpSettings.DEFAULT);
        command = command == null ? List.of() : command;
        if (runtime.isPresent()) {
            if (mode != Mode.HTTP) {
                throw new InvalidInputException("mode", "an arrow with a runtime runs in http mode");
            }
            if (!command.isEmpty()) {
                throw new InvalidInputException("command", "give either a command or a runtime and handler, not both");
            }
        } else if (command.isEmpty()) {
            throw new InvalidInputException("command", "command must name a program");
        }
        if (command.size() > MAX_COMMAND_ARGS) {
            throw new InvalidInputException("command", "command has more than " + MAX_COMMAND_ARGS + " arguments");
        }
        for (int i = 0; i < command.size(); i++) {
            String arg = command.get(i);
            if (arg == null || (i == 0 && arg.isBlank())) {
                throw new InvalidInputException("command[" + i + "]", "command arguments must be strings; the first not empty");
            }
            requirePlainText(arg, "command[" + i + "]");
        }
        command = List.copyOf(command);
        env = env == null ? Map.of() : env;
        if (env.size() > MAX_ENV) {
            throw new InvalidInputException("env", "env has more than " + MAX_ENV + " variables");
        }
        var copy = new LinkedHashMap<String, String>();
        env.forEach((key, value) -> {
            if (key == null || !ENV_NAME.matcher(key).matches()) {
                throw new InvalidInputException("env", "'" + key + "' is not a valid environment variable name");
            }
            if (value == null) {
                throw new InvalidInputException("env." + key, "environment values must be strings");
            }
            requirePlainText(value, "env." + key);
            copy.put(key, value);
        });
        env = java.util.Collections.unmodifiableMap(copy);
        bundle = bundle == null ? Optional.empty() : bundle;
        bundle.ifPresent(digest -> {
            if (!DIGEST.matcher(digest).matches()) {
                throw new InvalidInputException("bundle", "bundle must be a digest like sha256:<64 hex digits>");
            }
        });
        limits = Objects.requireNonNullElse(limits, ArrowLimits.DEFAULT);
        network = Objects.requireNonNullElse(network, NetworkPolicy.NONE);
        scaling = Objects.requireNonNullElse(scaling, Scaling.DEFAULT);
        bindings = Objects.requireNonNullElse(bindings, Bindings.NONE);
        triggers = Objects.requireNonNullElse(triggers, DeclaredTriggers.NONE);
        isolation = Objects.requireNonNullElse(isolation, Isolation.PROCESS);
    }

    /** An arrow of the process tier. */
    public ArrowSpec(String name, Mode mode, List<String> command, Map<String, String> env, Optional<String> bundle,
            ArrowLimits limits, NetworkPolicy network, Scaling scaling, Optional<RuntimeHandler> runtime,
            HttpSettings http, Bindings bindings, DeclaredTriggers triggers) {
        this(name, mode, command, env, bundle, limits, network, scaling, runtime, http, bindings, triggers,
                Isolation.PROCESS);
    }

    /** An arrow without triggers. */
    public ArrowSpec(String name, Mode mode, List<String> command, Map<String, String> env, Optional<String> bundle,
            ArrowLimits limits, NetworkPolicy network, Scaling scaling, Optional<RuntimeHandler> runtime,
            HttpSettings http, Bindings bindings) {
        this(name, mode, command, env, bundle, limits, network, scaling, runtime, http, bindings, DeclaredTriggers.NONE);
    }

    /** An arrow without bindings. */
    public ArrowSpec(String name, Mode mode, List<String> command, Map<String, String> env, Optional<String> bundle,
            ArrowLimits limits, NetworkPolicy network, Scaling scaling, Optional<RuntimeHandler> runtime,
            HttpSettings http) {
        this(name, mode, command, env, bundle, limits, network, scaling, runtime, http, Bindings.NONE);
    }

    /** An arrow of the arrow's own command, without runtime and with default http settings. */
    public ArrowSpec(String name, Mode mode, List<String> command, Map<String, String> env, Optional<String> bundle,
            ArrowLimits limits, NetworkPolicy network, Scaling scaling) {
        this(name, mode, command, env, bundle, limits, network, scaling, Optional.empty(), HttpSettings.DEFAULT);
    }

    /** An exec-mode arrow with every default. */
    public static ArrowSpec exec(String name, List<String> command) {
        return new ArrowSpec(name, Mode.EXEC, command, Map.of(), Optional.empty(), ArrowLimits.DEFAULT,
                NetworkPolicy.NONE, Scaling.DEFAULT);
    }

    /** An http-mode arrow serving on $PORT with every default. */
    public static ArrowSpec http(String name, List<String> command) {
        return new ArrowSpec(name, Mode.HTTP, command, Map.of(), Optional.empty(), ArrowLimits.DEFAULT,
                NetworkPolicy.NONE, Scaling.DEFAULT);
    }

    /** An arrow whose handler one of Arrow's language runtimes runs. */
    public static ArrowSpec handler(String name, String runtime, String handler) {
        return new ArrowSpec(name, Mode.HTTP, List.of(), Map.of(), Optional.empty(), ArrowLimits.DEFAULT,
                NetworkPolicy.NONE, Scaling.DEFAULT, Optional.of(new RuntimeHandler(runtime, handler)), HttpSettings.DEFAULT);
    }

    public ArrowSpec withEnv(Map<String, String> newEnv) {
        return new ArrowSpec(name, mode, command, newEnv, bundle, limits, network, scaling,
                runtime, http, bindings, triggers, isolation);
    }

    public ArrowSpec withBundle(String digest) {
        return new ArrowSpec(name, mode, command, env, Optional.of(digest), limits, network, scaling,
                runtime, http, bindings, triggers, isolation);
    }

    public ArrowSpec withLimits(ArrowLimits newLimits) {
        return new ArrowSpec(name, mode, command, env, bundle, newLimits, network, scaling,
                runtime, http, bindings, triggers, isolation);
    }

    public ArrowSpec withNetwork(NetworkPolicy policy) {
        return new ArrowSpec(name, mode, command, env, bundle, limits, policy, scaling,
                runtime, http, bindings, triggers, isolation);
    }

    public ArrowSpec withScaling(Scaling newScaling) {
        return new ArrowSpec(name, mode, command, env, bundle, limits, network, newScaling,
                runtime, http, bindings, triggers, isolation);
    }

    public ArrowSpec withHttp(HttpSettings settings) {
        return new ArrowSpec(name, mode, command, env, bundle, limits, network, scaling,
                runtime, settings, bindings, triggers, isolation);
    }

    public ArrowSpec withBindings(Bindings newBindings) {
        return new ArrowSpec(name, mode, command, env, bundle, limits, network, scaling,
                runtime, http, newBindings, triggers, isolation);
    }

    public ArrowSpec withTriggers(DeclaredTriggers newTriggers) {
        return new ArrowSpec(name, mode, command, env, bundle, limits, network, scaling,
                runtime, http, bindings, newTriggers, isolation);
    }

    public ArrowSpec withIsolation(Isolation tier) {
        return new ArrowSpec(name, mode, command, env, bundle, limits, network, scaling,
                runtime, http, bindings, triggers, tier);
    }

    private static void requirePlainText(String value, String field) {
        if (value.length() > MAX_VALUE_CHARS) {
            throw new InvalidInputException(field, "longer than " + MAX_VALUE_CHARS + " characters");
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidInputException(field, "must not contain NUL characters");
        }
    }
}
