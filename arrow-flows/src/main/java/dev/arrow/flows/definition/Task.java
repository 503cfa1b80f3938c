package dev.arrow.flows.definition;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What every step has, whatever its kind (the DSL's task base).
 *
 * @param name       the task's name in its list ({@code validate}); a branch or the body have one too
 * @param path       where the task is in the definition, as a JSON pointer ({@code /do/0/validate}):
 *                   errors name it, and the executor's step paths are built from it
 * @param when       the task's {@code if}: a jq condition on the raw input; false skips the task
 * @param inputFrom  {@code input.from}: a template evaluated on the raw input, giving the task's input
 * @param outputAs   {@code output.as}: a template evaluated on the raw output, giving the task's output
 * @param exportAs   {@code export.as}: a template evaluated on the output, giving the new {@code $context}
 * @param timeout    {@code timeout.after}: the task fails with a timeout error when it runs longer
 * @param then       where the flow goes after the task
 * @param metadata   the task's {@code metadata}, free-form (Arrow reads {@code maxConcurrency} of a {@code for})
 */
public record Task(String name, String path, Optional<String> when, Optional<JsonNode> inputFrom,
        Optional<JsonNode> outputAs, Optional<JsonNode> exportAs, Optional<Duration> timeout, Then then,
        Map<String, JsonNode> metadata) {

    public Task {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        metadata = Map.copyOf(metadata);
    }

    /** A task with nothing but its name and path: no condition, no shaping, no timeout, then continue. */
    public static Task named(String name, String path) {
        return new Task(name, path, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), new Then.Continue(), Map.of());
    }

    public Task withThen(Then next) {
        return new Task(name, path, when, inputFrom, outputAs, exportAs, timeout, next, metadata);
    }

    public Task withInputFrom(JsonNode template) {
        return new Task(name, path, when, Optional.of(template), outputAs, exportAs, timeout, then, metadata);
    }

    public Task withOutputAs(JsonNode template) {
        return new Task(name, path, when, inputFrom, Optional.of(template), exportAs, timeout, then, metadata);
    }

    public Task withTimeout(Duration after) {
        return new Task(name, path, when, inputFrom, outputAs, exportAs, Optional.of(after), then, metadata);
    }
}
