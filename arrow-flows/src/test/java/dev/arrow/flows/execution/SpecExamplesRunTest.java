package dev.arrow.flows.execution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.MutableClock;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.dsl.DslReader;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.MemoryFlowStore;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The definitions shaped like the specification's examples (arrow-flows' test resources) run on
 * the executor to their end: arrows answer their input, each pet looked up is found but pet 0
 * (the try-catch example's input, whose 404 it catches),
 * timers are moved past on the clock, and every listen gets its event.
 */
class SpecExamplesRunTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "call, succeeded, 1",
        "call-function, succeeded, 1",
        "conditional, succeeded, 1",
        "do, succeeded, 1",
        "for, succeeded, 1",
        "fork, succeeded, 1",
        "listen, succeeded, 1",
        "raise, failed, 1",
        "raise-reusable, failed, 1",
        "schedule-cron, succeeded, 1",
        "schedule-event, succeeded, 1",
        "set, succeeded, 1",
        "switch, succeeded, 1",
        "try-catch, succeeded, 0",
        "try-catch-retry, succeeded, 1",
        "try-catch-retry-reusable, succeeded, 1",
        "wait, succeeded, 1"})
    void theExampleRunsToItsEnd(String example, String status, int petId) throws Exception {
        String source;
        try (InputStream in = SpecExamplesRunTest.class.getResourceAsStream("/spec-examples/" + example + ".yaml")) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        FlowDefinition definition = DslReader.read(source);
        var clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
        var arrows = new FlowEngineTest.Arrows();
        for (String arrow : arrowsOf(definition.body())) {
            arrows.define(arrow, input -> input.path("petId").asInt(-1) == 0
                    ? new FlowCalls.Result.Failed(new FlowError(FlowError.COMMUNICATION, 404, "Not Found", "no such pet", null))
                    : new FlowCalls.Result.Succeeded(input));
        }
        var engine = new FlowEngine(new MemoryFlowStore(), arrows, new FlowEngineTest.StoredEvents(), clock,
                FlowSettings.defaults(), FlowListener.NONE);
        try {
            engine.deploy(Language.DSL, source, Optional.empty());
            JsonNode input = JSON.readTree("""
                    {"petId": %d, "order": {"total": 120, "type": "electronic", "id": 7},
                     "pets": [{"id": 1}, {"id": 2}], "report": {"day": "2026-12-01"}}""".formatted(petId));
            RunRecord run = engine.start(definition.name(), input, "api", Optional.empty());
            List<Map<String, String>> listens = listensOf(definition.body());
            RunRecord now = run;
            for (int round = 0; round < 200 && now.status() == RunStatus.RUNNING; round++) {
                now = engine.await(run.id(), Duration.ofMillis(50));
                for (Map<String, String> attributes : listens) {
                    var event = JSON.createObjectNode();
                    attributes.forEach(event::put);
                    event.putObject("data").put("seen", true);
                    engine.eventAccepted(event);
                }
                clock.advance(Duration.ofHours(1));
                engine.nudge();
            }
            assertThat(now.status().wireName()).as("%s: %s", example, now).isEqualTo(status);
        } finally {
            engine.close();
        }
    }

    private static List<String> arrowsOf(Step step) {
        List<String> found = new ArrayList<>();
        collect(step, found, new ArrayList<>());
        return found;
    }

    private static List<Map<String, String>> listensOf(Step step) {
        List<Map<String, String>> found = new ArrayList<>();
        collect(step, new ArrayList<>(), found);
        return found;
    }

    private static void collect(Step step, List<String> arrows, List<Map<String, String>> listens) {
        switch (step) {
            case Step.Call call -> arrows.add(call.arrow());
            case Step.Listen listen -> listens.add(listen.attributes());
            case Step.Sequence sequence -> sequence.steps().forEach(inner -> collect(inner, arrows, listens));
            case Step.Fork fork -> fork.branches().forEach(inner -> collect(inner, arrows, listens));
            case Step.ForEach loop -> collect(loop.body(), arrows, listens);
            case Step.Try attempt -> {
                collect(attempt.body(), arrows, listens);
                attempt.handler().body().ifPresent(body -> collect(body, arrows, listens));
            }
            default -> {
            }
        }
    }
}
