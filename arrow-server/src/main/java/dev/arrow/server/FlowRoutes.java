package dev.arrow.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.execution.FlowEngine;
import dev.arrow.flows.execution.FlowException;
import dev.arrow.flows.runs.FlowRevision;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import dev.arrow.sandbox.Units;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The flow routes under {@code /v1/flows} (docs/api.md, "Flows"): deploys of a flow's source,
 * its revisions, and its runs with their steps. {@code -} as a flow's name in a run's routes
 * stands for any flow.
 */
final class FlowRoutes {

    static final String ANY = "-";
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 1000;
    /** The longest a start with {@code wait} holds the request open. */
    static final Duration MAX_WAIT = Duration.ofMinutes(15);

    private final NodeFlows flows;
    private final int maxDefinitionBytes;
    private final int maxInputBytes;
    private final Clock clock;

    FlowRoutes(NodeFlows flows, int maxDefinitionBytes, int maxInputBytes, Clock clock) {
        this.flows = flows;
        this.maxDefinitionBytes = maxDefinitionBytes;
        this.maxInputBytes = maxInputBytes;
        this.clock = clock;
    }

    private FlowEngine engine() {
        return flows.engine();
    }

    Router addTo(Router router) {
        return router
                .add("POST", "/v1/flows", this::deploy)
                .add("GET", "/v1/flows", this::list)
                .add("GET", "/v1/flows/{name}", ex -> ex.json(200, revisionJson(flow(ex.param("name")), true)))
                .add("DELETE", "/v1/flows/{name}", this::delete)
                .add("GET", "/v1/flows/{name}/revisions", this::revisions)
                .add("POST", "/v1/flows/{name}/runs", this::start)
                .add("GET", "/v1/flows/{name}/runs", this::runs)
                .add("GET", "/v1/flows/{name}/runs/{id}", this::getRun)
                .add("POST", "/v1/flows/{name}/runs/{id}/cancel", ex -> {
                    RunRecord run = run(ex);
                    ex.json(200, runJson(refusals(() -> engine().cancel(run.id())), Optional.empty()));
                })
                .add("POST", "/v1/flows/{name}/runs/{id}/redrive", ex -> {
                    RunRecord run = run(ex);
                    ex.json(200, runJson(refusals(() -> engine().redrive(run.id())), Optional.empty()));
                });
    }

    /** 201 with the new revision, 200 when the source is the latest revision's already. */
    private void deploy(Exchange ex) throws IOException {
        Language language = language(ex.query("language").filter(value -> !value.isEmpty()).orElse("dsl"));
        Optional<String> name = ex.query("name").filter(value -> !value.isEmpty());
        byte[] body = ex.body(maxDefinitionBytes);
        if (body.length == 0) {
            throw ApiError.invalid("body", "send the flow's definition (" + (language == Language.ASL ? "States Language JSON"
                    : "Serverless Workflow YAML or JSON") + ") as the body");
        }
        String source = new String(body, StandardCharsets.UTF_8);
        Instant asked = clock.instant();
        FlowRevision revision;
        try {
            revision = flows.deploy(language, source, name);
        } catch (DefinitionException e) {
            throw definitionError(e);
        } catch (FlowException e) {
            throw apiError(e);
        }
        // A revision made before this request is the same source deployed again.
        ex.json(revision.deployedAt().isBefore(asked) ? 200 : 201, revisionJson(revision, false));
    }

    private void list(Exchange ex) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode flows = out.putArray("flows");
        engine().flows().forEach(revision -> flows.add(revisionJson(revision, false)));
        ex.json(200, out);
    }

    private void delete(Exchange ex) {
        if (!flows.delete(ex.param("name"))) {
            throw noFlow(ex.param("name"));
        }
        ex.empty(204);
    }

    private void revisions(Exchange ex) {
        List<FlowRevision> revisions = engine().revisions(ex.param("name"));
        if (revisions.isEmpty()) {
            throw noFlow(ex.param("name"));
        }
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("revisions");
        revisions.forEach(revision -> list.add(revisionJson(revision, false)));
        ex.json(200, out);
    }

    /** 201 with the run; with {@code wait}, the run as it is once it ended or the wait is over. */
    private void start(Exchange ex) throws Exception {
        String name = ex.param("name");
        if (name.equals(ANY)) {
            throw ApiError.invalid("name", "name the flow to start, not '-'");
        }
        Optional<Duration> wait = ex.query("wait").filter(value -> !value.isEmpty()).map(FlowRoutes::waitFor);
        JsonNode input = input(ex.body(maxInputBytes));
        RunRecord run = refusals(() -> engine().start(name, input, "api", Optional.empty()));
        if (wait.isPresent()) {
            String id = run.id();
            run = refusals(() -> engine().await(id, wait.get()));
        }
        ex.json(201, runJson(run, Optional.empty()));
    }

    private void runs(Exchange ex) {
        String name = ex.param("name");
        Optional<String> flow = name.equals(ANY) ? Optional.empty() : Optional.of(name);
        Optional<RunStatus> status = ex.query("status").filter(value -> !value.isEmpty()).map(FlowRoutes::status);
        int limit = ex.query("limit").filter(value -> !value.isEmpty()).map(FlowRoutes::limit).orElse(DEFAULT_LIMIT);
        if (flow.isPresent() && engine().flow(flow.get()).isEmpty() && engine().runs(flow, Optional.empty(), 1).isEmpty()) {
            throw noFlow(flow.get());
        }
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("runs");
        engine().runs(flow, status, limit).forEach(run -> list.add(runJson(run, Optional.empty())));
        ex.json(200, out);
    }

    /** The run with its steps; with {@code wait}, once it ended or the wait is over. */
    private void getRun(Exchange ex) throws Exception {
        Optional<Duration> wait = ex.query("wait").filter(value -> !value.isEmpty()).map(FlowRoutes::waitFor);
        RunRecord run = run(ex);
        if (wait.isPresent() && !run.status().finished()) {
            String id = run.id();
            run = refusals(() -> engine().await(id, wait.get()));
        }
        ex.json(200, runJson(run, Optional.of(engine().steps(run.id()))));
    }

    /** The run of the path, which must be of the flow named (or of any flow with '-'). */
    private RunRecord run(Exchange ex) {
        String name = ex.param("name");
        String id = ex.param("id");
        return engine().run(id).filter(run -> name.equals(ANY) || run.flow().equals(name))
                .orElseThrow(() -> new ApiError(404, "not_found", "no run " + id
                        + (name.equals(ANY) ? "" : " of the flow " + name), Optional.of("id")));
    }

    private FlowRevision flow(String name) {
        return engine().flow(name).orElseThrow(() -> noFlow(name));
    }

    private static ApiError noFlow(String name) {
        return new ApiError(404, "not_found", "no flow named " + name, Optional.of("name"));
    }

    /** The body as the run's input: any JSON value; none is {@code {}}. */
    static JsonNode input(byte[] body) {
        if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
            return Exchange.JSON.createObjectNode();
        }
        try {
            return Exchange.JSON.readTree(body);
        } catch (IOException e) {
            String where = e instanceof JsonProcessingException json && json.getLocation() != null
                    ? " (line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr() + ")" : "";
            throw ApiError.invalid("body", "the run's input must be JSON" + where);
        }
    }

    static Language language(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "dsl" -> Language.DSL;
            case "asl" -> Language.ASL;
            default -> throw ApiError.invalid("language", "language is dsl (Serverless Workflow) or asl (States Language), not '"
                    + value + "'");
        };
    }

    static RunStatus status(String value) {
        for (RunStatus status : RunStatus.values()) {
            if (status.wireName().equals(value.toLowerCase(Locale.ROOT))) {
                return status;
            }
        }
        throw ApiError.invalid("status", "status is one of running, succeeded, failed, timed_out, cancelled, not '" + value + "'");
    }

    static int limit(String value) {
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.invalid("limit", "limit must be a whole number from 1 to " + MAX_LIMIT + ", not '" + value + "'");
    }

    static Duration waitFor(String value) {
        Duration wait;
        try {
            wait = Units.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("wait", "wait: " + e.getMessage());
        }
        if (wait.compareTo(MAX_WAIT) > 0) {
            throw ApiError.invalid("wait", "wait is at most " + MAX_WAIT.toMinutes() + "m, not " + value);
        }
        return wait;
    }

    /** A definition refused: 400 naming the path of the task or field at fault. */
    static ApiError definitionError(DefinitionException e) {
        return new ApiError(400, "invalid_definition", e.getMessage(), Optional.of(e.path()));
    }

    static ApiError apiError(FlowException e) {
        return switch (e.kind()) {
            case NOT_FOUND -> new ApiError(404, "not_found", e.getMessage());
            case CONFLICT -> new ApiError(409, "conflict", e.getMessage());
            case TOO_LARGE -> new ApiError(413, "payload_too_large", e.getMessage());
            case INVALID -> new ApiError(400, "invalid_input", e.getMessage());
            case BUSY -> new ApiError(429, "busy", e.getMessage());
        };
    }

    interface FlowWork<T> {
        T run() throws FlowException, InterruptedException;
    }

    private static <T> T refusals(FlowWork<T> work) throws InterruptedException {
        try {
            return work.run();
        } catch (FlowException e) {
            throw apiError(e);
        }
    }

    static ObjectNode revisionJson(FlowRevision revision, boolean withSource) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("name", revision.flow()).put("revision", revision.revision()).put("language", revision.language().wireName())
                .put("deployedAt", revision.deployedAt().toString());
        if (withSource) {
            out.put("source", revision.source());
        }
        return out;
    }

    static ObjectNode runJson(RunRecord run, Optional<List<StepRecord>> steps) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("id", run.id()).put("flow", run.flow()).put("revision", run.revision()).put("status", run.status().wireName())
                .put("startedBy", run.startedBy()).put("startedAt", run.startedAt().toString());
        run.endedAt().ifPresent(at -> out.put("endedAt", at.toString()));
        run.endedAt().ifPresent(at -> out.put("durationMs", Duration.between(run.startedAt(), at).toMillis()));
        out.put("redrives", run.redrives());
        out.set("input", parsed(run.input()));
        run.output().ifPresent(output -> out.set("output", parsed(output)));
        run.error().ifPresent(error -> out.set("error", parsed(error)));
        steps.ifPresent(list -> {
            ArrayNode array = out.putArray("steps");
            list.forEach(step -> array.add(stepJson(step)));
        });
        return out;
    }

    static ObjectNode stepJson(StepRecord step) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("path", step.path()).put("kind", step.kind()).put("status", step.status().wireName())
                .put("attempt", step.attempt()).put("redrive", step.redrive()).put("startedAt", step.startedAt().toString());
        step.endedAt().ifPresent(at -> out.put("endedAt", at.toString()));
        step.endedAt().ifPresent(at -> out.put("durationMs", Duration.between(step.startedAt(), at).toMillis()));
        step.dueAt().ifPresent(at -> out.put("dueAt", at.toString()));
        out.set("input", parsed(step.input()));
        step.output().ifPresent(output -> out.set("output", parsed(output)));
        step.error().ifPresent(error -> out.set("error", parsed(error)));
        return out;
    }

    /** Stored JSON text as JSON; text that is not (it should not happen) as a string. */
    private static JsonNode parsed(String text) {
        try {
            JsonNode node = Exchange.JSON.readTree(text);
            return node == null ? TextNode.valueOf(text) : node;
        } catch (IOException e) {
            return TextNode.valueOf(text);
        }
    }
}
