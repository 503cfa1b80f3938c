package dev.arrow.flows.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.ErrorFilter;
import dev.arrow.flows.definition.RetryPolicy;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.definition.Task;
import dev.arrow.flows.definition.Then;
import dev.arrow.flows.definition.WaitFor;
import dev.arrow.flows.expressions.Expressions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the DSL's task lists (already valid against the specification's schema) into steps,
 * refusing what Arrow does not run with the task's path and the feature named.
 */
final class TaskMapper {

    /** The task kinds the schema knows, in the order a task is recognised ({@code for} has a {@code do} too). */
    private static final List<String> KINDS = List.of("call", "for", "do", "fork", "emit", "listen", "raise", "run",
            "set", "switch", "try", "wait");
    private static final Set<String> BASE = Set.of("if", "input", "output", "export", "timeout", "then", "metadata");
    private static final Set<String> REMOTE_CALLS = Set.of("http", "grpc", "openapi", "asyncapi", "a2a");

    private final Declarations use;

    TaskMapper(Declarations use) {
        this.use = use;
    }

    /** The reusable definitions under {@code use} that tasks may name. */
    record Declarations(Map<String, JsonNode> functions, Map<String, JsonNode> errors, Map<String, JsonNode> retries,
            Map<String, JsonNode> timeouts) {
    }

    /** A task list ({@code do}, {@code try}, a catch's {@code do}) at {@code path}: its items are {@code path/i/name}. */
    Step.Sequence sequence(JsonNode list, String name, String path) throws DefinitionException {
        return new Step.Sequence(Task.named(name, path), steps(list, path));
    }

    private List<Step> steps(JsonNode list, String path) throws DefinitionException {
        List<Step> steps = new ArrayList<>();
        int index = 0;
        for (JsonNode item : list) {
            var entry = item.properties().iterator().next();
            steps.add(step(entry.getKey(), entry.getValue(), path + "/" + index + "/" + entry.getKey()));
            index++;
        }
        return steps;
    }

    Step step(String name, JsonNode node, String path) throws DefinitionException {
        String kind = KINDS.stream().filter(node::has).findFirst()
                .orElseThrow(() -> new DefinitionException(path, "the task has none of the kinds " + KINDS));
        Task task = task(name, node, path);
        return switch (kind) {
            case "call" -> call(task, node, path);
            case "for" -> forEach(task, node, path);
            case "do" -> {
                only(node, path, "do");
                yield new Step.Sequence(task, steps(node.get("do"), path + "/do"));
            }
            case "fork" -> fork(task, node, path);
            case "listen" -> listen(task, node, path);
            case "raise" -> raise(task, node, path);
            case "set" -> {
                only(node, path, "set");
                yield new Step.Set(task, node.get("set"));
            }
            case "switch" -> switchTask(task, node, path);
            case "try" -> tryTask(task, node, path);
            case "wait" -> {
                only(node, path, "wait");
                yield new Step.Wait(task, new WaitFor.Fixed(waitDuration(node.get("wait"), path + "/wait")));
            }
            default -> throw Refusals.unsupported(path, "the " + kind + " task");
        };
    }

    static Duration waitDuration(JsonNode node, String path) throws DefinitionException {
        Duration duration = Durations.read(node, path);
        if (duration.compareTo(WaitFor.MAX) > 0) {
            throw new DefinitionException(path, "a wait is at most " + WaitFor.MAX.toDays() + " days; this one is "
                    + duration);
        }
        return duration;
    }

    /** Refuses any member of a task beyond its base fields and {@code allowed}. */
    private static void only(JsonNode node, String path, String... allowed) throws DefinitionException {
        Set<String> kinds = Set.of(allowed);
        for (String field : (Iterable<String>) node::fieldNames) {
            if (!BASE.contains(field) && !kinds.contains(field)) {
                throw Refusals.unsupported(path, "'" + field + "' in a " + allowed[0] + " task");
            }
        }
    }

    private Task task(String name, JsonNode node, String path) throws DefinitionException {
        Optional<String> when = text(node, "if");
        Optional<JsonNode> inputFrom = shaping(node, "input", "from", path);
        Optional<JsonNode> outputAs = shaping(node, "output", "as", path);
        Optional<JsonNode> exportAs = shaping(node, "export", "as", path);
        Optional<Duration> timeout = node.has("timeout")
                ? Optional.of(timeout(node.get("timeout"), path + "/timeout")) : Optional.empty();
        Then then = node.has("then") ? then(node.get("then").asText()) : new Then.Continue();
        Map<String, JsonNode> metadata = new LinkedHashMap<>();
        if (node.has("metadata")) {
            node.get("metadata").properties().forEach(member -> metadata.put(member.getKey(), member.getValue()));
        }
        return new Task(name, path, when, inputFrom, outputAs, exportAs, timeout, then, metadata);
    }

    /** {@code input.from}, {@code output.as}, {@code export.as}; their {@code schema} is refused. */
    static Optional<JsonNode> shaping(JsonNode node, String field, String member, String path) throws DefinitionException {
        JsonNode shaping = node.get(field);
        if (shaping == null) {
            return Optional.empty();
        }
        if (shaping.has("schema")) {
            throw Refusals.unsupported(path + "/" + field + "/schema", field + ".schema (schemas)");
        }
        return Optional.ofNullable(shaping.get(member));
    }

    /** A timeout: inline ({@code after}), or the name of one under {@code use.timeouts}. */
    Duration timeout(JsonNode node, String path) throws DefinitionException {
        JsonNode timeout = node;
        if (node.isTextual()) {
            timeout = use.timeouts().get(node.textValue());
            if (timeout == null) {
                throw new DefinitionException(path, "no timeout '" + node.textValue() + "' is declared under use.timeouts");
            }
        }
        return Durations.read(timeout.get("after"), path + "/after");
    }

    static Then then(String directive) {
        return switch (directive) {
            case "continue" -> new Then.Continue();
            case "exit" -> new Then.Exit();
            case "end" -> new Then.End();
            default -> new Then.GoTo(directive);
        };
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    private Step call(Task task, JsonNode node, String path) throws DefinitionException {
        only(node, path, "call", "with");
        String call = node.get("call").asText();
        ObjectNode with = node.get("with") == null || !node.get("with").isObject()
                ? JsonNodeFactory.instance.objectNode() : ((ObjectNode) node.get("with")).deepCopy();
        if (REMOTE_CALLS.contains(call)) {
            throw Refusals.unsupported(path, "call: " + call);
        }
        if (!call.equals("arrow")) {
            JsonNode function = use.functions().get(call);
            if (function == null) {
                if (call.contains("@")) {
                    throw Refusals.unsupported(path, "a catalog function ('" + call + "')");
                }
                throw new DefinitionException(path, "no function '" + call + "' is declared under use.functions"
                        + " (Arrow calls arrows: call: arrow, with: {name: ...})");
            }
            ObjectNode merged = function.get("with") == null ? JsonNodeFactory.instance.objectNode()
                    : ((ObjectNode) function.get("with")).deepCopy();
            merged.setAll(with);
            with = merged;
        }
        for (String field : (Iterable<String>) with::fieldNames) {
            if (!field.equals("name") && !field.equals("input")) {
                throw Refusals.unsupported(path + "/with/" + field, "with." + field + " in a call of an arrow");
            }
        }
        JsonNode name = with.get("name");
        if (name == null || !name.isTextual() || name.textValue().isBlank()) {
            throw new DefinitionException(path + "/with/name", "a call of an arrow names it: with.name must be the arrow's name");
        }
        if (Expressions.isExpression(name.textValue())) {
            // The arrows a flow calls are checked at deploy, so their names are literal.
            throw Refusals.unsupported(path + "/with/name", "an arrow named by an expression");
        }
        return new Step.Call(task, name.textValue(), Optional.ofNullable(with.get("input")));
    }

    private Step forEach(Task task, JsonNode node, String path) throws DefinitionException {
        only(node, path, "for", "while", "do");
        JsonNode config = node.get("for");
        for (String field : (Iterable<String>) config::fieldNames) {
            if (!Set.of("each", "in", "at").contains(field)) {
                throw Refusals.unsupported(path + "/for/" + field, "for." + field);
            }
        }
        String each = config.path("each").asText("item");
        String at = config.path("at").asText("index");
        String in = config.get("in").asText();
        Optional<String> whileCondition = text(node, "while");
        Optional<Integer> maxConcurrency = Optional.empty();
        JsonNode max = task.metadata().get("maxConcurrency");
        if (max != null) {
            if (!max.canConvertToInt() || !max.isIntegralNumber() || max.asInt() < 1) {
                throw new DefinitionException(path + "/metadata/maxConcurrency", "maxConcurrency must be an integer >= 1");
            }
            maxConcurrency = Optional.of(max.asInt());
        }
        Step.Sequence body = sequence(node.get("do"), "do", path + "/for/do");
        return new Step.ForEach(task, each, at, in, whileCondition, body, maxConcurrency);
    }

    private Step fork(Task task, JsonNode node, String path) throws DefinitionException {
        only(node, path, "fork");
        JsonNode fork = node.get("fork");
        List<Step> branches = steps(fork.get("branches"), path + "/fork/branches");
        return new Step.Fork(task, branches, fork.path("compete").asBoolean(false));
    }

    private Step listen(Task task, JsonNode node, String path) throws DefinitionException {
        if (node.has("foreach")) {
            throw Refusals.unsupported(path + "/foreach", "listen's foreach");
        }
        only(node, path, "listen");
        JsonNode listen = node.get("listen");
        for (String field : (Iterable<String>) listen::fieldNames) {
            if (!field.equals("to") && !field.equals("read")) {
                throw Refusals.unsupported(path + "/listen/" + field, "listen." + field);
            }
        }
        Step.Listen.Read read = switch (listen.path("read").asText("data")) {
            case "data" -> Step.Listen.Read.DATA;
            case "envelope" -> Step.Listen.Read.ENVELOPE;
            default -> throw Refusals.unsupported(path + "/listen/read", "listen.read '" + listen.get("read").asText() + "'");
        };
        JsonNode to = listen.get("to");
        for (String field : (Iterable<String>) to::fieldNames) {
            if (!field.equals("one")) {
                throw Refusals.unsupported(path + "/listen/to/" + field, "listen.to." + field);
            }
        }
        return new Step.Listen(task, attributes(to.get("one"), path + "/listen/to/one"), read);
    }

    /** An event filter's {@code with}: CloudEvent attributes and the strings they must equal. */
    static Map<String, String> attributes(JsonNode filter, String path) throws DefinitionException {
        for (String field : (Iterable<String>) filter::fieldNames) {
            if (!field.equals("with")) {
                throw Refusals.unsupported(path + "/" + field, "an event filter's " + field);
            }
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        JsonNode with = filter.path("with");
        for (var member : with.properties()) {
            if (!member.getValue().isTextual()) {
                throw Refusals.unsupported(path + "/with/" + member.getKey(),
                        "an event attribute that is not a string ('" + member.getKey() + "')");
            }
            if (Expressions.isExpression(member.getValue().textValue())) {
                // Attributes are matched as they are written; an expression would never match.
                throw Refusals.unsupported(path + "/with/" + member.getKey(),
                        "an event attribute given by an expression ('" + member.getKey() + "')");
            }
            attributes.put(member.getKey(), member.getValue().textValue());
        }
        if (attributes.isEmpty()) {
            throw new DefinitionException(path + "/with", "an event filter names at least one attribute (type, source, ...)");
        }
        return attributes;
    }

    private Step raise(Task task, JsonNode node, String path) throws DefinitionException {
        only(node, path, "raise");
        JsonNode error = node.get("raise").get("error");
        if (error.isTextual()) {
            JsonNode declared = use.errors().get(error.textValue());
            if (declared == null) {
                throw new DefinitionException(path + "/raise/error", "no error '" + error.textValue()
                        + "' is declared under use.errors");
            }
            error = declared;
        }
        return new Step.Raise(task, error);
    }

    private Step switchTask(Task task, JsonNode node, String path) throws DefinitionException {
        only(node, path, "switch");
        List<Step.Switch.Case> cases = new ArrayList<>();
        for (JsonNode item : node.get("switch")) {
            var entry = item.properties().iterator().next();
            JsonNode body = entry.getValue();
            cases.add(new Step.Switch.Case(entry.getKey(), text(body, "when"),
                    then(body.path("then").asText("continue"))));
        }
        return new Step.Switch(task, cases);
    }

    private Step tryTask(Task task, JsonNode node, String path) throws DefinitionException {
        only(node, path, "try", "catch");
        Step.Sequence body = sequence(node.get("try"), "try", path + "/try");
        JsonNode handler = node.get("catch");
        String at = path + "/catch";
        ErrorFilter filter = ErrorFilter.any();
        JsonNode errors = handler.get("errors");
        if (errors != null) {
            JsonNode with = errors.path("with");
            filter = new ErrorFilter(with.has("type") ? List.of(with.get("type").asText()) : List.of(),
                    with.has("status") ? Optional.of(with.get("status").asInt()) : Optional.empty(),
                    text(with, "instance"), text(with, "title"), text(with, "details"));
        }
        Optional<RetryPolicy> retry = handler.has("retry")
                ? Optional.of(retry(handler.get("retry"), at + "/retry")) : Optional.empty();
        Optional<Step.Sequence> catchBody = handler.has("do")
                ? Optional.of(sequence(handler.get("do"), "do", at + "/do")) : Optional.empty();
        Step.Catch caught = new Step.Catch(filter, handler.path("as").asText("error"), text(handler, "when"),
                text(handler, "exceptWhen"), retry, catchBody);
        return new Step.Try(task, body, caught);
    }

    /**
     * A retry policy, inline or named under {@code use.retries}. The DSL's attempt count counts the
     * retries; the model's counts the first attempt too. Both duration limits bound the time until
     * the last retry starts.
     */
    RetryPolicy retry(JsonNode node, String path) throws DefinitionException {
        if (node.isTextual()) {
            JsonNode declared = use.retries().get(node.textValue());
            if (declared == null) {
                throw new DefinitionException(path, "no retry policy '" + node.textValue() + "' is declared under use.retries");
            }
            node = declared;
        }
        for (String field : (Iterable<String>) node::fieldNames) {
            if (!Set.of("delay", "backoff", "limit", "jitter").contains(field)) {
                throw Refusals.unsupported(path + "/" + field, "retry." + field);
            }
        }
        Duration delay = node.has("delay") ? Durations.read(node.get("delay"), path + "/delay") : Duration.ZERO;
        RetryPolicy.Backoff backoff = new RetryPolicy.Backoff.Constant();
        JsonNode strategy = node.get("backoff");
        if (strategy != null) {
            if (strategy.has("linear")) {
                backoff = new RetryPolicy.Backoff.Linear();
            } else if (strategy.has("exponential")) {
                backoff = new RetryPolicy.Backoff.Exponential(2);
            }
        }
        Optional<Integer> attempts = Optional.empty();
        Optional<Duration> within = Optional.empty();
        JsonNode limit = node.path("limit");
        if (limit.path("attempt").has("count")) {
            attempts = Optional.of(limit.get("attempt").get("count").asInt() + 1);
        }
        if (limit.path("attempt").has("duration")) {
            within = Optional.of(Durations.read(limit.get("attempt").get("duration"), path + "/limit/attempt/duration"));
        }
        if (limit.has("duration")) {
            Duration total = Durations.read(limit.get("duration"), path + "/limit/duration");
            within = Optional.of(within.map(other -> other.compareTo(total) < 0 ? other : total).orElse(total));
        }
        Duration jitterFrom = Duration.ZERO;
        Duration jitterTo = Duration.ZERO;
        if (node.has("jitter")) {
            jitterFrom = Durations.read(node.get("jitter").get("from"), path + "/jitter/from");
            jitterTo = Durations.read(node.get("jitter").get("to"), path + "/jitter/to");
            if (jitterTo.compareTo(jitterFrom) < 0) {
                throw new DefinitionException(path + "/jitter", "jitter.to must not be less than jitter.from");
            }
        }
        return new RetryPolicy(delay, backoff, Optional.empty(), jitterFrom, jitterTo, attempts, within);
    }
}
