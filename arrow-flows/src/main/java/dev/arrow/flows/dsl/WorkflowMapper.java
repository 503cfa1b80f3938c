package dev.arrow.flows.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.events.schedules.CronSchedule;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.Step;
import dev.arrow.platform.InvalidInputException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Turns a whole DSL document (already valid against the specification's schema) into a {@link FlowDefinition}. */
final class WorkflowMapper {

    private static final Set<String> USES = Set.of("functions", "errors", "retries", "timeouts");

    private WorkflowMapper() {
    }

    static FlowDefinition map(JsonNode root) throws DefinitionException {
        for (String field : (Iterable<String>) root::fieldNames) {
            if (!Set.of("document", "input", "use", "do", "timeout", "output", "schedule", "evaluate").contains(field)) {
                throw Refusals.unsupported("/" + field, field);
            }
        }
        evaluate(root.path("evaluate"));
        TaskMapper tasks = new TaskMapper(declarations(root.path("use")));
        JsonNode document = root.get("document");
        Optional<JsonNode> inputFrom = TaskMapper.shaping(root, "input", "from", "");
        Optional<JsonNode> outputAs = TaskMapper.shaping(root, "output", "as", "");
        Optional<Duration> timeout = root.has("timeout")
                ? Optional.of(tasks.timeout(root.get("timeout"), "/timeout")) : Optional.empty();
        Step.Sequence body = tasks.sequence(root.get("do"), "do", "/do");
        return new FlowDefinition(document.get("namespace").asText(), document.get("name").asText(),
                document.get("version").asText(), body, inputFrom, outputAs, timeout, starts(root.path("schedule")));
    }

    private static void evaluate(JsonNode evaluate) throws DefinitionException {
        if (evaluate.has("language") && !evaluate.get("language").asText().equals("jq")) {
            throw Refusals.unsupported("/evaluate/language", "the expression language '" + evaluate.get("language").asText() + "'");
        }
        if (evaluate.has("mode") && !evaluate.get("mode").asText().equals("strict")) {
            throw Refusals.unsupported("/evaluate/mode", "the evaluation mode '" + evaluate.get("mode").asText() + "'");
        }
    }

    private static TaskMapper.Declarations declarations(JsonNode use) throws DefinitionException {
        for (String field : (Iterable<String>) use::fieldNames) {
            if (!USES.contains(field)) {
                throw Refusals.unsupported("/use/" + field, "use." + field);
            }
        }
        Map<String, JsonNode> functions = named(use.path("functions"));
        for (var function : functions.entrySet()) {
            String path = "/use/functions/" + function.getKey();
            JsonNode definition = function.getValue();
            if (!definition.path("call").asText().equals("arrow")) {
                throw Refusals.unsupported(path, "a function that is not 'call: arrow'");
            }
            for (String field : (Iterable<String>) definition::fieldNames) {
                if (!field.equals("call") && !field.equals("with")) {
                    throw Refusals.unsupported(path + "/" + field, "'" + field + "' in a function's definition");
                }
            }
            if (!definition.path("with").path("name").isTextual()) {
                throw new DefinitionException(path + "/with/name", "a function that calls an arrow names it: with.name");
            }
        }
        return new TaskMapper.Declarations(functions, named(use.path("errors")), named(use.path("retries")),
                named(use.path("timeouts")));
    }

    private static Map<String, JsonNode> named(JsonNode map) {
        Map<String, JsonNode> named = new LinkedHashMap<>();
        map.properties().forEach(member -> named.put(member.getKey(), member.getValue()));
        return named;
    }

    private static List<FlowDefinition.Start> starts(JsonNode schedule) throws DefinitionException {
        List<FlowDefinition.Start> starts = new ArrayList<>();
        for (var member : schedule.properties()) {
            String path = "/schedule/" + member.getKey();
            JsonNode value = member.getValue();
            switch (member.getKey()) {
                case "cron" -> starts.add(new FlowDefinition.Start.Cron(cron(value.asText(), path), "UTC"));
                case "every" -> starts.add(new FlowDefinition.Start.Cron(every(Durations.read(value, path), path), "UTC"));
                case "on" -> {
                    for (String field : (Iterable<String>) value::fieldNames) {
                        if (!field.equals("one")) {
                            throw Refusals.unsupported(path + "/" + field, "schedule.on." + field);
                        }
                    }
                    starts.add(new FlowDefinition.Start.OnEvent(TaskMapper.attributes(value.get("one"), path + "/one")));
                }
                default -> throw Refusals.unsupported(path, "schedule." + member.getKey());
            }
        }
        return starts;
    }

    /** Checks a cron expression of five fields (or six, seconds first) as the node's schedules read it. */
    private static String cron(String expression, String path) throws DefinitionException {
        String[] fields = expression.strip().split("\\s+");
        if (fields.length != 5 && fields.length != 6) {
            throw new DefinitionException(path, "'" + expression + "' has " + fields.length
                    + " fields; a cron expression has five (or six, seconds first)");
        }
        try {
            CronSchedule.parse(fields.length == 5 ? "0 " + String.join(" ", fields) : String.join(" ", fields), null,
                    "schedule.cron", "zone");
        } catch (InvalidInputException e) {
            throw new DefinitionException(path, e.getMessage());
        }
        return String.join(" ", fields);
    }

    /**
     * {@code every} as a cron expression, when the interval divides the minute, hour or day evenly
     * (a cron fires at fixed wall-clock times, so other intervals would drift); otherwise refused.
     */
    private static String every(Duration interval, String path) throws DefinitionException {
        long seconds = interval.toSeconds();
        if (interval.toMillis() % 1000 == 0 && seconds > 0) {
            if (seconds < 60 && 60 % seconds == 0) {
                return "*/" + seconds + " * * * * *";
            }
            if (seconds % 60 == 0) {
                long minutes = seconds / 60;
                if (minutes < 60 && 60 % minutes == 0) {
                    return "*/" + minutes + " * * * *";
                }
                if (minutes % 60 == 0) {
                    long hours = minutes / 60;
                    if (hours < 24 && 24 % hours == 0) {
                        return "0 */" + hours + " * * *";
                    }
                    if (hours == 24) {
                        return "0 0 * * *";
                    }
                }
            }
        }
        throw Refusals.unsupported(path, "schedule.every of " + interval
                + " (an interval that does not divide a minute, an hour or a day evenly; write a cron instead)");
    }
}
