package dev.arrow.flows.asl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.MutableClock;
import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.execution.FlowCalls;
import dev.arrow.flows.execution.FlowEngine;
import dev.arrow.flows.execution.FlowEvents;
import dev.arrow.flows.execution.FlowListener;
import dev.arrow.flows.execution.FlowSettings;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.MemoryFlowStore;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import dev.arrow.flows.runs.StepStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Imported state machines run by the executor: the model the importer gives does what Step Functions does. */
class AslRunTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    private final Arrows arrows = new Arrows();
    private final FlowEngine engine = new FlowEngine(new MemoryFlowStore(), arrows, (since, attributes) -> Optional.empty(),
            clock, FlowSettings.defaults(), FlowListener.NONE);

    /** Arrows as functions of their input; every input they were given is kept. */
    static final class Arrows implements FlowCalls {
        final Map<String, Function<JsonNode, Result>> behaviour = new ConcurrentHashMap<>();
        final Map<String, List<JsonNode>> inputs = new ConcurrentHashMap<>();

        void define(String arrow, Function<JsonNode, Result> answer) {
            behaviour.put(arrow, answer);
        }

        List<JsonNode> inputs(String arrow) {
            return inputs.getOrDefault(arrow, List.of());
        }

        @Override
        public boolean exists(String arrow) {
            return behaviour.containsKey(arrow);
        }

        @Override
        public Result call(String arrow, JsonNode input, String idempotencyKey, Duration timeout) {
            inputs.computeIfAbsent(arrow, name -> new CopyOnWriteArrayList<>()).add(input);
            return behaviour.get(arrow).apply(input);
        }
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static FlowCalls.Result ok(String output) {
        return new FlowCalls.Result.Succeeded(json(output));
    }

    private static FlowCalls.Result failed(String type, String detail) {
        return new FlowCalls.Result.Failed(new FlowError(type, 500, type, detail, null));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = AslRunTest.class.getResourceAsStream("/asl/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private RunRecord run(String flow, String source, String input) throws Exception {
        engine.deploy(Language.ASL, source, Optional.of(flow));
        RunRecord run = engine.start(flow, json(input), "api", Optional.empty());
        return engine.await(run.id(), Duration.ofSeconds(20));
    }

    private static final String ORDER = """
            {"order": {"id": "o-42", "total": 59.8, "items": [{"sku": "book-1", "quantity": 2}, {"sku": "pen", "quantity": 1}]},
             "customer": {"name": "Ada", "tier": "gold"}}""";

    private void orderArrows() {
        arrows.define("validate-order", input -> ok("{\"valid\": true}"));
        arrows.define("request-review", input -> ok("{\"approved\": true}"));
        arrows.define("reserve-stock", input -> ok("{\"reserved\": \"" + input.get("sku").asText() + "\"}"));
        arrows.define("charge-card", input -> ok("{\"paymentId\": \"p-9\"}"));
        arrows.define("ship", input -> ok("{\"trackingNumber\": \"T-1\", \"carrier\": \"post\"}"));
        arrows.define("refund", input -> ok("{}"));
    }

    @Test
    void theOrderWorkflowReservesChargesWaitsAndShips() throws Exception {
        orderArrows();
        engine.deploy(Language.ASL, resource("order-workflow.json"), Optional.of("orders"));
        RunRecord started = engine.start("orders", json(ORDER), "api", Optional.empty());
        await().until(() -> engine.steps(started.id()).stream().anyMatch(step -> step.status() == StepStatus.WAITING));
        clock.advance(Duration.ofMinutes(10));
        RunRecord run = engine.await(started.id(), Duration.ofSeconds(20));

        assertThat(run.status()).as("%s", run.error()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(run.output().orElseThrow())).isEqualTo(json("{\"tracking\": \"T-1\"}"));
        assertThat(arrows.inputs("validate-order")).containsExactly(json("""
                {"order": {"id": "o-42", "total": 59.8, "items": [{"sku": "book-1", "quantity": 2}, {"sku": "pen", "quantity": 1}]},
                 "customer": {"name": "Ada", "tier": "gold"}}"""));
        assertThat(arrows.inputs("reserve-stock")).containsExactlyInAnyOrder(
                json("{\"orderId\": \"o-42\", \"sku\": \"book-1\", \"quantity\": 2, \"line\": 0}"),
                json("{\"orderId\": \"o-42\", \"sku\": \"pen\", \"quantity\": 1, \"line\": 1}"));
        assertThat(arrows.inputs("charge-card")).containsExactly(
                json("{\"orderId\": \"o-42\", \"amount\": 59.8, \"reference\": \"order o-42 for Ada\"}"));
        JsonNode shipped = arrows.inputs("ship").getFirst();
        assertThat(shipped.get("orderId").asText()).isEqualTo("o-42");
        assertThat(shipped.get("startedBy").asText()).isEqualTo(run.id());
        assertThat(arrows.inputs("request-review")).isEmpty();
        assertThat(arrows.inputs("refund")).isEmpty();
        // The state's input at Ship: the order, its validation and the fulfilment merged at their ResultPaths.
        StepRecord ship = engine.steps(run.id()).stream().filter(step -> step.path().equals("/States/Ship")).findFirst()
                .orElseThrow();
        assertThat(json(ship.input()).get("validation")).isEqualTo(json("{\"valid\": true}"));
        assertThat(json(ship.input()).get("fulfilment")).isEqualTo(json("""
                {"reservations": [{"reserved": "book-1"}, {"reserved": "pen"}], "payment": {"paymentId": "p-9"}}"""));
        assertThat(engine.steps(run.id())).extracting(StepRecord::path).contains(
                "/States/Fulfil/try/Branches/0/States/ReserveItems@1/ItemProcessor/States/ReserveItem/try");
    }

    @Test
    void anOrderWithoutItemsIsRejected() throws Exception {
        orderArrows();
        RunRecord run = run("orders", resource("order-workflow.json"), "{\"order\": {\"id\": \"o-1\", \"total\": 0, \"items\": []}}");
        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        JsonNode error = json(run.error().orElseThrow());
        assertThat(error.get("type").asText()).isEqualTo("OrderRejected");
        assertThat(error.get("detail").asText()).isEqualTo("The order has no items or did not validate.");
        assertThat(error.get("instance").asText()).isEqualTo("/States/Rejected");
    }

    @Test
    void aFailedChargeIsCaughtRefundedAndFailsWithItsCause() throws Exception {
        orderArrows();
        arrows.define("charge-card", input -> failed("https://pay.example/errors/CardDeclined", "card expired"));
        String once = resource("order-workflow.json").replace("{\"ErrorEquals\": [\"States.TaskFailed\"], \"MaxAttempts\": 1}",
                "{\"ErrorEquals\": [\"States.TaskFailed\"], \"MaxAttempts\": 0}");
        RunRecord run = run("orders", once, ORDER);
        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        JsonNode error = json(run.error().orElseThrow());
        assertThat(error.get("type").asText()).isEqualTo("FulfilmentFailed");
        assertThat(error.get("detail").asText()).isEqualTo("card expired");
        assertThat(arrows.inputs("charge-card")).hasSize(1);
        JsonNode refunded = arrows.inputs("refund").getFirst();
        assertThat(refunded.get("error")).isEqualTo(json("{\"Error\": \"CardDeclined\", \"Cause\": \"card expired\"}"));
        assertThat(refunded.get("order").get("id").asText()).isEqualTo("o-42");
    }

    @Test
    void aRetrierRetriesAfterItsIntervalThenLetsTheCatcherHaveTheError() throws Exception {
        arrows.define("busy", input -> failed("Busy", "still busy"));
        engine.deploy(Language.ASL, """
                {"StartAt": "Try", "States": {
                  "Try": {"Type": "Task", "Resource": "arrow:busy", "Next": "Unreached",
                    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 5, "MaxAttempts": 1}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Caught"}]},
                  "Unreached": {"Type": "Fail", "Error": "Unreached"},
                  "Caught": {"Type": "Pass", "End": true}}}""", Optional.of("retrying"));
        RunRecord started = engine.start("retrying", json("{\"n\": 1}"), "api", Optional.empty());
        await().until(() -> arrows.inputs("busy").size() == 1
                && engine.steps(started.id()).stream().anyMatch(step -> step.kind().equals("retry")));
        assertThat(engine.run(started.id()).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
        clock.advance(Duration.ofSeconds(5));
        RunRecord run = engine.await(started.id(), Duration.ofSeconds(20));

        assertThat(run.status()).as("%s", run.error()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(arrows.inputs("busy")).hasSize(2);
        assertThat(json(run.output().orElseThrow())).isEqualTo(json("""
                {"n": 1, "failure": {"Error": "Busy", "Cause": "still busy"}}"""));
    }

    @Test
    void anErrorTakenByAnEarlierRetrierIsNotRetriedByALaterOne() throws Exception {
        arrows.define("busy", input -> failed("Busy", "still busy"));
        RunRecord run = run("first-retrier", """
                {"StartAt": "Try", "States": {
                  "Try": {"Type": "Task", "Resource": "arrow:busy", "End": true,
                    "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 0},
                              {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]}}}""", "{}");
        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        assertThat(json(run.error().orElseThrow()).get("type").asText()).isEqualTo("Busy");
        assertThat(arrows.inputs("busy")).hasSize(1);
    }

    @Test
    void theFirstMatchingCatcherGoesToItsNextInTheStatesList() throws Exception {
        arrows.define("broken", input -> failed("https://shop.example/errors/OutOfStock", "none left"));
        RunRecord run = run("catchers", """
                {"StartAt": "Try", "States": {
                  "Try": {"Type": "Task", "Resource": "arrow:broken", "Next": "Unreached",
                    "Catch": [{"ErrorEquals": ["OutOfStock"], "ResultPath": null, "Next": "Restock"},
                              {"ErrorEquals": ["States.ALL"], "Next": "Other"}]},
                  "Unreached": {"Type": "Fail", "Error": "Unreached"},
                  "Other": {"Type": "Fail", "Error": "Other"},
                  "Restock": {"Type": "Pass", "Result": "restocking", "ResultPath": "$.action", "End": true}}}""",
                "{\"sku\": \"pen\"}");
        assertThat(run.status()).as("%s", run.error()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(run.output().orElseThrow())).isEqualTo(json("{\"sku\": \"pen\", \"action\": \"restocking\"}"));
    }

    @Test
    void aChoiceWithoutAMatchFailsWithNoChoiceMatchedAndALoopThroughAChoiceEnds() throws Exception {
        arrows.define("inc", input -> ok("{\"n\": " + (input.get("n").asInt() + 1) + "}"));
        String loop = """
                {"StartAt": "Inc", "States": {
                  "Inc": {"Type": "Task", "Resource": "arrow:inc", "Next": "More"},
                  "More": {"Type": "Choice", "Choices": [
                    {"Variable": "$.n", "NumericLessThan": 3, "Next": "Inc"},
                    {"Variable": "$.n", "NumericEquals": 3, "Next": "Done"}]},
                  "Done": {"Type": "Succeed"}}}""";
        RunRecord counted = run("loop", loop, "{\"n\": 0}");
        assertThat(counted.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(counted.output().orElseThrow())).isEqualTo(json("{\"n\": 3}"));

        RunRecord unmatched = engine.await(engine.start("loop", json("{\"n\": 7}"), "api", Optional.empty()).id(),
                Duration.ofSeconds(20));
        assertThat(unmatched.status()).isEqualTo(RunStatus.FAILED);
        assertThat(json(unmatched.error().orElseThrow()).get("type").asText()).isEqualTo("States.NoChoiceMatched");
    }

    @Test
    void theDocumentPipelineReadsEveryPageAndSummarises() throws Exception {
        arrows.define("ocr", input -> ok("\"text of page " + input.get("page").asInt() + " at "
                + input.get("location").asText() + "\""));
        arrows.define("summarise", input -> ok("{\"summary\": \"" + input.get("pageCount").asInt() + " pages\"}"));
        RunRecord run = run("documents", resource("document-pipeline.json"),
                "{\"bucket\": \"docs\", \"key\": \"a.pdf\", \"pageList\": [1, 2]}");
        assertThat(run.status()).as("%s", run.error()).isEqualTo(RunStatus.SUCCEEDED);
        JsonNode output = json(run.output().orElseThrow());
        assertThat(output.get("texts")).isEqualTo(json("[\"text of page 1 at docs/a.pdf\", \"text of page 2 at docs/a.pdf\"]"));
        assertThat(output.get("pageCount").asInt()).isEqualTo(2);
        assertThat(output.get("summary")).isEqualTo(json("{\"summary\": \"2 pages\"}"));
    }
}
