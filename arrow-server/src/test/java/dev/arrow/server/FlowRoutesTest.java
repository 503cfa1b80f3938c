package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.broker.EventEnvelope;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.definition.Task;
import dev.arrow.flows.execution.FlowException;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import dev.arrow.flows.runs.StepStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The flow routes' reading of requests and writing of runs, and the node's glue of flows to events and calls. */
class FlowRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    @Test
    void queryParametersAreReadOrRefusedNamingTheirField() {
        assertThat(FlowRoutes.language("DSL")).isEqualTo(Language.DSL);
        assertThat(FlowRoutes.language("asl")).isEqualTo(Language.ASL);
        assertThatThrownBy(() -> FlowRoutes.language("bpmn")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.field()).contains("language"));
        assertThat(FlowRoutes.status("timed_out")).isEqualTo(RunStatus.TIMED_OUT);
        assertThatThrownBy(() -> FlowRoutes.status("done")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.field()).contains("status"));
        assertThat(FlowRoutes.limit("1000")).isEqualTo(1000);
        assertThatThrownBy(() -> FlowRoutes.limit("0")).isInstanceOf(ApiError.class);
        assertThat(FlowRoutes.waitFor("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> FlowRoutes.waitFor("16m")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.field()).contains("wait"));
        assertThatThrownBy(() -> FlowRoutes.waitFor("soon")).isInstanceOf(ApiError.class);
    }

    @Test
    void aRunsInputIsAnyJsonValueAndNoneIsAnEmptyObject() {
        assertThat(FlowRoutes.input(new byte[0])).isEqualTo(JSON.createObjectNode());
        assertThat(FlowRoutes.input(" \n".getBytes(StandardCharsets.UTF_8))).isEqualTo(JSON.createObjectNode());
        assertThat(FlowRoutes.input("[1,2]".getBytes(StandardCharsets.UTF_8)).size()).isEqualTo(2);
        assertThatThrownBy(() -> FlowRoutes.input("{nope".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.field()).contains("body"));
    }

    @Test
    void refusalsAreMappedToTheirStatusesAndADefinitionsPathIsTheField() {
        assertThat(FlowRoutes.apiError(new FlowException(FlowException.Kind.NOT_FOUND, "x")).status()).isEqualTo(404);
        assertThat(FlowRoutes.apiError(new FlowException(FlowException.Kind.CONFLICT, "x")).status()).isEqualTo(409);
        assertThat(FlowRoutes.apiError(new FlowException(FlowException.Kind.TOO_LARGE, "x")).status()).isEqualTo(413);
        assertThat(FlowRoutes.apiError(new FlowException(FlowException.Kind.INVALID, "x")).status()).isEqualTo(400);
        ApiError definition = FlowRoutes.definitionError(new DefinitionException("/do/1/pay/with/name", "no arrow pay"));
        assertThat(definition.status()).isEqualTo(400);
        assertThat(definition.field()).contains("/do/1/pay/with/name");
    }

    @Test
    void aRunIsWrittenWithItsJsonAsJsonAndItsStepsDurations() {
        var run = new RunRecord("r1", "orders", 2, RunStatus.FAILED, "{\"order\":7}", Optional.empty(),
                Optional.of("{\"type\":\"t\",\"status\":500}"), 1, T0, Optional.of(T0.plusMillis(84)), "event");
        var step = new StepRecord("r1", "/do/0/pay", "call", 2, StepStatus.FAILED, "{}", Optional.empty(),
                Optional.of("{\"type\":\"t\",\"status\":500}"), Optional.empty(), T0, Optional.of(T0.plusMillis(31)), 1);
        JsonNode json = FlowRoutes.runJson(run, Optional.of(List.of(step)));
        assertThat(json.path("status").asText()).isEqualTo("failed");
        assertThat(json.path("input").path("order").asInt()).isEqualTo(7);
        assertThat(json.path("error").path("status").asInt()).isEqualTo(500);
        assertThat(json.path("durationMs").asLong()).isEqualTo(84);
        assertThat(json.has("output")).isFalse();
        assertThat(json.path("steps").get(0).path("durationMs").asLong()).isEqualTo(31);
        assertThat(json.path("steps").get(0).path("attempt").asInt()).isEqualTo(2);
        assertThat(FlowRoutes.runJson(run, Optional.empty()).has("steps")).isFalse();
    }

    @Test
    void aFlowsStartsAreTriggersOfTheEventsLayer() throws Exception {
        var definition = new FlowDefinition("ns", "f", "1", new Step.Sequence(Task.named("do", "/do"), List.of()),
                Optional.empty(), Optional.empty(), Optional.empty(),
                List.of(new FlowDefinition.Start.Cron("*/5 * * * *", "UTC"),
                        new FlowDefinition.Start.OnEvent(Map.of("type", "com.example.hello"))));
        List<Trigger> triggers = NodeFlows.triggers(definition);
        assertThat(triggers).hasSize(2);
        assertThat(triggers.get(0)).isInstanceOfSatisfying(Trigger.Schedule.class,
                schedule -> assertThat(schedule.schedule().expression()).isEqualTo("0 */5 * * * *"));
        assertThat(((Trigger.Event) triggers.get(1)).filter().test(Map.of("type", "com.example.hello"))).isTrue();
        assertThat(((Trigger.Event) triggers.get(1)).filter().test(Map.of("type", "other"))).isFalse();
        assertThat(NodeFlows.isTarget(NodeFlows.TARGET_PREFIX + "f")).isTrue();
        assertThat(NodeFlows.isTarget("f")).isFalse();
    }

    @Test
    void aDeliveryMadeTwiceGivesTheSameRunIdAndAnotherEventAnother() {
        var one = new EventEnvelope("/door", "h1", "t", T0, new byte[0]);
        var again = new EventEnvelope("/door", "h1", "t", T0.plusSeconds(1), new byte[0]);
        var other = new EventEnvelope("/door", "h2", "t", T0, new byte[0]);
        String id = NodeFlows.runId("event", "flow:greeter", one);
        assertThat(id).startsWith("event-").matches("[a-z0-9-]+");
        assertThat(NodeFlows.runId("event", "flow:greeter", again)).isEqualTo(id);
        assertThat(NodeFlows.runId("event", "flow:greeter", other)).isNotEqualTo(id);
        assertThat(NodeFlows.runId("event", "flow:other", one)).isNotEqualTo(id);
    }

    @Test
    void anArrowsAnswerIsJsonOrAJsonString() {
        assertThat(NodeFlowCalls.json("{\"a\":1}".getBytes(StandardCharsets.UTF_8)).path("a").asInt()).isEqualTo(1);
        assertThat(NodeFlowCalls.json("42\n".getBytes(StandardCharsets.UTF_8)).asInt()).isEqualTo(42);
        assertThat(NodeFlowCalls.json("hello world\n".getBytes(StandardCharsets.UTF_8)).textValue()).isEqualTo("hello world\n");
        assertThat(NodeFlowCalls.json(new byte[0]).isNull()).isTrue();
    }

    @Test
    void aStoredEventIsStructuredJsonWithItsDataAsJsonAndMatchedByItsAttributes() throws Exception {
        byte[] binary = """
                {"specversion":"1.0","id":"1","source":"/s","type":"t","seq":3,"data_base64":"eyJhIjoxfQ=="}
                """.getBytes(StandardCharsets.UTF_8);
        JsonNode event = NodeFlowEvents.structured(binary).orElseThrow();
        assertThat(event.path("data").path("a").asInt()).isEqualTo(1);
        assertThat(event.has("data_base64")).isFalse();
        assertThat(NodeFlowEvents.matches(event, Map.of("type", "t", "source", "/s"))).isTrue();
        assertThat(NodeFlowEvents.matches(event, Map.of("seq", "3"))).isTrue();
        assertThat(NodeFlowEvents.matches(event, Map.of("type", "u"))).isFalse();
        assertThat(NodeFlowEvents.matches(event, Map.of("subject", "x"))).isFalse();
        assertThat(NodeFlowEvents.structured("not json".getBytes(StandardCharsets.UTF_8))).isEmpty();
    }
}
