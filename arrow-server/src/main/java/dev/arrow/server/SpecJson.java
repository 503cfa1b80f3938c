package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.events.triggers.Triggers;
import dev.arrow.platform.arrows.ArrowLimits;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Bindings;
import dev.arrow.platform.arrows.DeclaredTriggers;
import dev.arrow.platform.arrows.HttpSettings;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.arrows.RuntimeHandler;
import dev.arrow.platform.arrows.Scaling;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Units;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Arrow specs in JSON, both ways. Parsing is by hand over the tree rather than by data binding so
 * that every complaint names the exact field ({@code limits.memory}) and sizes and durations can be
 * written the way people write them ({@code "128m"}, {@code "10s"}) or as plain numbers.
 */
final class SpecJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> TOP = Set.of("name", "mode", "command", "env", "bundle", "limits", "network", "scaling",
            "runtime", "handler", "http", "bindings", "triggers", "isolation");
    private static final Set<String> BINDINGS = Set.of("kv", "queues", "buckets", "events");
    private static final Set<String> LIMITS = Set.of("memory", "cpus", "pids", "timeout", "tmpfs");
    private static final Set<String> SCALING = Set.of("concurrency", "minInstances", "maxInstances", "keepAlive");
    private static final Set<String> HTTP = Set.of("port", "readinessPath", "startTimeout");

    private SpecJson() {
    }

    static ArrowSpec parse(JsonNode body) {
        requireObject(body, "body");
        rejectUnknown(body, TOP, "");
        String name = text(body, "name", "name").orElseThrow(() -> ApiError.invalid("name", "name is required"));
        Optional<String> runtime = text(body, "runtime", "runtime");
        Optional<String> handler = text(body, "handler", "handler");
        if (handler.isPresent() && runtime.isEmpty()) {
            throw ApiError.invalid("runtime", "a handler needs a runtime: python3, node or shell");
        }
        Mode mode = text(body, "mode", "mode").map(SpecJson::mode).orElse(runtime.isPresent() ? Mode.HTTP : Mode.EXEC);
        JsonNode commandNode = body.get("command");
        List<String> command = runtime.isPresent() && (commandNode == null || commandNode.isNull()) ? List.of()
                : command(commandNode);
        Map<String, String> env = env(body.get("env"));
        Optional<String> bundle = text(body, "bundle", "bundle");
        ArrowLimits limits = limits(body.get("limits"));
        NetworkPolicy network = text(body, "network", "network").map(SpecJson::network).orElse(NetworkPolicy.NONE);
        Scaling scaling = scaling(body.get("scaling"));
        HttpSettings http = http(body.get("http"));
        Bindings bindings = bindings(body.get("bindings"));
        DeclaredTriggers triggers = triggers(body.get("triggers"), bindings);
        Isolation isolation = text(body, "isolation", "isolation").map(SpecJson::isolation).orElse(Isolation.PROCESS);
        if (runtime.isPresent() && handler.isPresent()) {
            try {
                dev.arrow.runtime.runtimes.LanguageRuntime.of(runtime.get()).validateHandler(handler.get());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid(runtime.get().equals("python3") || runtime.get().equals("node")
                        || runtime.get().equals("shell") ? "handler" : "runtime", e.getMessage());
            }
        }
        return new ArrowSpec(name, mode, command, env, bundle, limits, network, scaling,
                runtime.map(r -> new RuntimeHandler(r, handler.orElse(null))), http, bindings, triggers, isolation);
    }

    static ObjectNode write(ArrowSpec spec) {
        ObjectNode out = NODES.objectNode();
        out.put("name", spec.name());
        out.put("mode", spec.mode().name().toLowerCase(Locale.ROOT));
        ArrayNode command = out.putArray("command");
        spec.command().forEach(command::add);
        ObjectNode env = out.putObject("env");
        spec.env().forEach(env::put);
        if (spec.bundle().isPresent()) {
            out.put("bundle", spec.bundle().get());
        } else {
            out.putNull("bundle");
        }
        ObjectNode limits = out.putObject("limits");
        limits.put("memory", spec.limits().memoryBytes());
        limits.put("cpus", BigDecimal.valueOf(spec.limits().cpuMillis(), 3).stripTrailingZeros().doubleValue());
        limits.put("pids", spec.limits().pids());
        limits.put("timeout", spec.limits().timeout().toMillis());
        limits.put("tmpfs", spec.limits().tmpfsBytes());
        out.put("network", spec.network().name().toLowerCase(Locale.ROOT));
        out.put("isolation", spec.isolation().label());
        ObjectNode scaling = out.putObject("scaling");
        scaling.put("concurrency", spec.scaling().concurrency());
        scaling.put("minInstances", spec.scaling().minInstances());
        scaling.put("maxInstances", spec.scaling().maxInstances());
        scaling.put("keepAlive", spec.scaling().keepAlive().toMillis());
        spec.runtime().ifPresent(runtime -> {
            out.put("runtime", runtime.runtime());
            out.put("handler", runtime.handler());
        });
        ObjectNode http = out.putObject("http");
        http.put("port", spec.http().port());
        spec.http().readinessPath().ifPresent(path -> http.put("readinessPath", path));
        http.put("startTimeout", spec.http().startTimeout().toMillis());
        ObjectNode bindings = out.putObject("bindings");
        spec.bindings().kv().forEach(bindings.putArray("kv")::add);
        spec.bindings().queues().forEach(bindings.putArray("queues")::add);
        spec.bindings().buckets().forEach(bindings.putArray("buckets")::add);
        if (spec.bindings().publishEvents()) {
            bindings.put("events", "publish");
        }
        out.set("triggers", spec.triggers().list());
        return out;
    }

    private static Mode mode(String value) {
        return switch (value) {
            case "exec" -> Mode.EXEC;
            case "http" -> Mode.HTTP;
            default -> throw ApiError.invalid("mode", "mode must be exec or http, not '" + value + "'");
        };
    }

    private static Isolation isolation(String value) {
        return switch (value) {
            case "process" -> Isolation.PROCESS;
            case "vm" -> Isolation.VM;
            default -> throw ApiError.invalid("isolation", "isolation must be process or vm, not '" + value + "'");
        };
    }

    private static NetworkPolicy network(String value) {
        return switch (value) {
            case "none" -> NetworkPolicy.NONE;
            case "host" -> NetworkPolicy.HOST;
            default -> throw ApiError.invalid("network", "network must be none or host, not '" + value + "'");
        };
    }

    private static List<String> command(JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiError.invalid("command", "command is required: a list of strings, the program first");
        }
        if (!node.isArray()) {
            throw ApiError.invalid("command", "command must be a list of strings, e.g. [\"python3\", \"main.py\"]");
        }
        List<String> command = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode arg = node.get(i);
            if (!arg.isTextual()) {
                throw ApiError.invalid("command[" + i + "]", "command arguments must be strings");
            }
            command.add(arg.textValue());
        }
        return command;
    }

    private static Map<String, String> env(JsonNode node) {
        Map<String, String> env = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return env;
        }
        requireObject(node, "env");
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw ApiError.invalid("env." + entry.getKey(), "environment values must be strings");
            }
            env.put(entry.getKey(), entry.getValue().textValue());
        }
        return env;
    }

    private static ArrowLimits limits(JsonNode node) {
        ArrowLimits limits = ArrowLimits.DEFAULT;
        if (node == null || node.isNull()) {
            return limits;
        }
        requireObject(node, "limits");
        rejectUnknown(node, LIMITS, "limits.");
        long memory = node.has("memory") ? size(node.get("memory"), "limits.memory") : limits.memoryBytes();
        int cpus = node.has("cpus") ? cpus(node.get("cpus")) : limits.cpuMillis();
        int pids = node.has("pids") ? integer(node.get("pids"), "limits.pids") : limits.pids();
        Duration timeout = node.has("timeout") ? duration(node.get("timeout"), "limits.timeout") : limits.timeout();
        long tmpfs = node.has("tmpfs") ? size(node.get("tmpfs"), "limits.tmpfs") : limits.tmpfsBytes();
        return new ArrowLimits(memory, cpus, pids, timeout, tmpfs);
    }

    private static Scaling scaling(JsonNode node) {
        Scaling scaling = Scaling.DEFAULT;
        if (node == null || node.isNull()) {
            return scaling;
        }
        requireObject(node, "scaling");
        rejectUnknown(node, SCALING, "scaling.");
        int concurrency = node.has("concurrency") ? integer(node.get("concurrency"), "scaling.concurrency") : scaling.concurrency();
        int min = node.has("minInstances") ? integer(node.get("minInstances"), "scaling.minInstances") : scaling.minInstances();
        int max = node.has("maxInstances") ? integer(node.get("maxInstances"), "scaling.maxInstances") : scaling.maxInstances();
        Duration keepAlive = node.has("keepAlive") ? duration(node.get("keepAlive"), "scaling.keepAlive") : scaling.keepAlive();
        return new Scaling(concurrency, min, max, keepAlive);
    }

    private static HttpSettings http(JsonNode node) {
        HttpSettings http = HttpSettings.DEFAULT;
        if (node == null || node.isNull()) {
            return http;
        }
        requireObject(node, "http");
        rejectUnknown(node, HTTP, "http.");
        int port = node.has("port") ? integer(node.get("port"), "http.port") : http.port();
        Optional<String> readiness = text(node, "readinessPath", "http.readinessPath");
        Duration start = node.has("startTimeout") ? duration(node.get("startTimeout"), "http.startTimeout") : http.startTimeout();
        return new HttpSettings(port, readiness, start);
    }

    private static Bindings bindings(JsonNode node) {
        if (node == null || node.isNull()) {
            return Bindings.NONE;
        }
        requireObject(node, "bindings");
        rejectUnknown(node, BINDINGS, "bindings.");
        return new Bindings(names(node.get("kv"), "bindings.kv"), names(node.get("queues"), "bindings.queues"),
                names(node.get("buckets"), "bindings.buckets"), events(node.get("events")));
    }

    /** {@code events: publish}: the arrow may POST /v1/events through its socket. */
    private static boolean events(JsonNode node) {
        if (node == null || node.isNull()) {
            return false;
        }
        if (node.isTextual() && node.textValue().equals("publish")) {
            return true;
        }
        throw ApiError.invalid("bindings.events", "bindings.events must be \"publish\" (the arrow may publish events), not " + node);
    }

    /** Checked by the events layer against the bindings (a 400 naming e.g. {@code triggers[1].queue}), kept as declared. */
    private static DeclaredTriggers triggers(JsonNode node, Bindings bindings) {
        if (node == null || node.isNull()) {
            return DeclaredTriggers.NONE;
        }
        Triggers.parse(node, Set.copyOf(bindings.queues()), Set.copyOf(bindings.buckets()));
        return DeclaredTriggers.of(node);
    }

    private static List<String> names(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiError.invalid(field, field + " must be a list of names, e.g. [\"carts\"]");
        }
        if (node.size() > Bindings.MAX_PER_KIND) {
            throw ApiError.invalid(field, field + " names more than " + Bindings.MAX_PER_KIND);
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            if (!node.get(i).isTextual()) {
                throw ApiError.invalid(field + "[" + i + "]", field + "[" + i + "] must be a string, not " + node.get(i));
            }
            names.add(node.get(i).textValue());
        }
        return names;
    }

    /** Bytes as a number, or a size in {@link Units}' grammar: 128m, 128Mi, 1g, 512k. */
    static long size(JsonNode node, String field) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isTextual()) {
            try {
                return Units.parseSize(node.textValue());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid(field, field + ": " + e.getMessage());
            }
        }
        throw ApiError.invalid(field, field + " must be a number of bytes or a size like \"128m\", not " + node);
    }

    /** Milliseconds as a number, or a duration in {@link Units}' grammar: 250ms, 10s, 1.5m. */
    static Duration duration(JsonNode node, String field) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return Duration.ofMillis(node.longValue());
        }
        if (node.isTextual()) {
            try {
                return Units.parseDuration(node.textValue());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid(field, field + ": " + e.getMessage());
            }
        }
        throw ApiError.invalid(field, field + " must be milliseconds or a duration like \"10s\", not " + node);
    }

    private static int cpus(JsonNode node) {
        // A double that overflowed (1e400) is infinite: no decimal value to take.
        if (node.isNumber() && !(node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue()))) {
            try {
                return Units.cpuMillis(node.decimalValue());
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid("limits.cpus", "limits.cpus: " + e.getMessage());
            }
        }
        throw ApiError.invalid("limits.cpus", "limits.cpus must be a number of cores like 0.5, not " + node);
    }

    private static int integer(JsonNode node, String field) {
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            return node.intValue();
        }
        throw ApiError.invalid(field, field + " must be a whole number, not " + node);
    }

    private static Optional<String> text(JsonNode parent, String key, String field) {
        JsonNode node = parent.get(key);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw ApiError.invalid(field, field + " must be a string, not " + node);
        }
        return Optional.of(node.textValue());
    }

    static void requireObject(JsonNode node, String field) {
        if (node == null || !node.isObject()) {
            throw ApiError.invalid(field, field + " must be a JSON object");
        }
    }

    private static void rejectUnknown(JsonNode node, Set<String> known, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw ApiError.invalid(prefix + name, "unknown field '" + prefix + name + "'");
            }
        }
    }
}
