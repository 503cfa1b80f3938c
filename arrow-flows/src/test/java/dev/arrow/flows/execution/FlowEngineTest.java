package dev.arrow.flows.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.MutableClock;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.MemoryFlowStore;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import dev.arrow.flows.runs.StepStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FlowEngineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MemoryFlowStore store = new MemoryFlowStore();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
    private final Arrows arrows = new Arrows();
    private final StoredEvents events = new StoredEvents();
    private FlowEngine engine = newEngine();

    /** Arrows as functions of their input, each call counted and its idempotency key kept. */
    static final class Arrows implements FlowCalls {
        final Map<String, Function<JsonNode, Result>> behaviour = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        final List<String> keys = new CopyOnWriteArrayList<>();

        void define(String arrow, Function<JsonNode, Result> answer) {
            behaviour.put(arrow, answer);
        }

        int calls(String arrow) {
            return calls.getOrDefault(arrow, new AtomicInteger()).get();
        }

        @Override
        public boolean exists(String arrow) {
            return behaviour.containsKey(arrow);
        }

        @Override
        public Result call(String arrow, JsonNode input, String idempotencyKey, Duration timeout) {
            calls.computeIfAbsent(arrow, name -> new AtomicInteger()).incrementAndGet();
            keys.add(idempotencyKey);
            return behaviour.get(arrow).apply(input);
        }
    }

    static final class StoredEvents implements FlowEvents {
        final List<JsonNode> stored = new CopyOnWriteArrayList<>();

        @Override
        public Optional<JsonNode> firstSince(Instant since, Map<String, String> attributes) {
            return stored.stream().filter(event -> Instant.parse(event.get("time").asText()).compareTo(since) >= 0)
                    .filter(event -> Listens.matches(attributes, event)).findFirst();
        }
    }

    private FlowEngine newEngine() {
        return new FlowEngine(store, arrows, events, clock, FlowSettings.defaults(), FlowListener.NONE);
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static FlowCalls.Result ok(JsonNode output) {
        return new FlowCalls.Result.Succeeded(output);
    }

    private void deploy(String yaml) throws Exception {
        engine.deploy(Language.DSL, yaml, Optional.empty());
    }

    private RunRecord runToEnd(String flow, String input) throws Exception {
        RunRecord run = engine.start(flow, json(input), "api", Optional.empty());
        RunRecord ended = engine.await(run.id(), Duration.ofSeconds(20));
        assertThat(ended.status()).as("run %s: %s", ended.id(), ended.error()).isNotEqualTo(RunStatus.RUNNING);
        return ended;
    }

    private static String flow(String name, String tasks) {
        return """
                document:
                  dsl: '1.0.0'
                  namespace: test
                  name: %s
                  version: '1.0.0'
                do:
                %s""".formatted(name, tasks.indent(2));
    }

    @Test
    void aSequenceOfCallsPassesEachOutputOnAndRecordsEveryStep() throws Exception {
        arrows.define("add-one", input -> ok(json("{\"n\":" + (input.get("n").asInt() + 1) + "}")));
        deploy(flow("count", """
                - first:
                    call: arrow
                    with: {name: add-one}
                - second:
                    call: arrow
                    with:
                      name: add-one
                      input: { n: '${ .n * 10 }' }
                - shaped:
                    set:
                      total: ${ .n }
                """));

        RunRecord run = runToEnd("count", "{\"n\":1}");

        assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(run.output().orElseThrow())).isEqualTo(json("{\"total\":21}"));
        assertThat(engine.steps(run.id())).extracting(StepRecord::path)
                .containsExactly("/do/0/first", "/do/1/second", "/do/2/shaped");
        assertThat(engine.steps(run.id())).allMatch(step -> step.status() == StepStatus.SUCCEEDED);
        assertThat(arrows.keys).containsExactly(run.id() + ":/do/0/first:1", run.id() + ":/do/1/second:1");
    }

    @Test
    void aSwitchGoesWhereItsFirstMatchingCaseSaysAndThenLoopsAreBounded() throws Exception {
        deploy(flow("loop", """
                - init:
                    set: { n: 0 }
                - bump:
                    set: { n: '${ .n + 1 }' }
                - check:
                    switch:
                      - more:
                          when: ${ .n < 3 }
                          then: bump
                      - done:
                          then: finish
                - skipped:
                    set: { wrong: true }
                - finish:
                    set: { n: '${ .n }', done: true }
                """));

        RunRecord run = runToEnd("loop", "{}");

        assertThat(json(run.output().orElseThrow())).isEqualTo(json("{\"n\":3,\"done\":true}"));
        assertThat(engine.steps(run.id())).extracting(StepRecord::path)
                .contains("/do/1/bump", "/do/1/bump#2", "/do/1/bump#3").doesNotContain("/do/3/skipped");
    }

    @Test
    void aForkGivesTheArrayOfItsBranchesAndACompetingForkItsFirstWinner() throws Exception {
        arrows.define("slow", input -> {
            try {
                Thread.sleep(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ok(json("\"slow\""));
        });
        arrows.define("fast", input -> ok(json("\"fast\"")));
        deploy(flow("both", """
                - both:
                    fork:
                      branches:
                        - a: { call: arrow, with: { name: fast } }
                        - b: { set: { b: '${ .x }' } }
                """));
        deploy(flow("race", """
                - race:
                    fork:
                      compete: true
                      branches:
                        - a: { call: arrow, with: { name: slow } }
                        - b: { call: arrow, with: { name: fast } }
                """));

        assertThat(json(runToEnd("both", "{\"x\":7}").output().orElseThrow())).isEqualTo(json("[\"fast\",{\"b\":7}]"));
        RunRecord race = runToEnd("race", "{}");
        assertThat(json(race.output().orElseThrow())).isEqualTo(json("\"fast\""));
    }

    @Test
    void aBranchThatFailsIsCaughtAroundTheFork() throws Exception {
        arrows.define("broken", input -> new FlowCalls.Result.Failed(
                new FlowError(FlowError.COMMUNICATION, 503, "Unavailable", "down for a while", null)));
        arrows.define("fine", input -> ok(json("1")));
        deploy(flow("guarded", """
                - guarded:
                    try:
                      - both:
                          fork:
                            branches:
                              - good: { call: arrow, with: { name: fine } }
                              - bad: { call: arrow, with: { name: broken } }
                    catch:
                      errors:
                        with: { type: 'https://serverlessworkflow.io/spec/1.0.0/errors/communication', status: 503 }
                      as: failure
                      do:
                        - note:
                            set: { caught: '${ $failure.status }', at: '${ $failure.instance }' }
                """));

        RunRecord run = runToEnd("guarded", "{}");

        assertThat(run.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(run.output().orElseThrow()))
                .isEqualTo(json("{\"caught\":503,\"at\":\"/do/0/guarded/try/0/both/fork/branches/1/bad\"}"));
    }

    @Test
    void aRetrySucceedsOnTheThirdAttemptAfterItsDelaysOnTheClock() throws Exception {
        var attempts = new AtomicInteger();
        arrows.define("flaky", input -> attempts.incrementAndGet() < 3
                ? new FlowCalls.Result.Failed(new FlowError(FlowError.COMMUNICATION, 500, "Flaky", "try again", null))
                : ok(json("\"at last\"")));
        deploy(flow("patient", """
                - patient:
                    try:
                      - call-it: { call: arrow, with: { name: flaky } }
                    catch:
                      errors:
                        with: { type: 'https://serverlessworkflow.io/spec/1.0.0/errors/communication' }
                      retry:
                        delay: { seconds: 10 }
                        backoff: { exponential: {} }
                        limit:
                          attempt: { count: 5 }
                """));

        RunRecord run = engine.start("patient", json("{}"), "api", Optional.empty());
        await().until(() -> attempts.get() == 1 && retryTimers(run.id()) == 1);
        assertThat(engine.run(run.id()).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
        clock.advance(Duration.ofSeconds(10));
        engine.nudge();
        await().until(() -> attempts.get() == 2 && retryTimers(run.id()) == 2);
        StepRecord second = engine.steps(run.id()).stream().filter(step -> step.path().endsWith("/retry@2")).findFirst()
                .orElseThrow();
        assertThat(Duration.between(second.startedAt(), second.dueAt().orElseThrow())).isEqualTo(Duration.ofSeconds(20));
        clock.advance(Duration.ofSeconds(20));
        engine.nudge();

        RunRecord ended = engine.await(run.id(), Duration.ofSeconds(20));
        assertThat(ended.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(ended.output().orElseThrow())).isEqualTo(json("\"at last\""));
        assertThat(engine.steps(run.id())).extracting(StepRecord::path)
                .contains("/do/0/patient/try/0/call-it", "/do/0/patient@2/try/0/call-it", "/do/0/patient@3/try/0/call-it");
    }

    private long retryTimers(String run) {
        return engine.steps(run).stream().filter(step -> step.kind().equals("retry")).count();
    }

    @Test
    void aRaisedErrorFailsTheRunInTheSpecsFormat() throws Exception {
        deploy(flow("refuse", """
                - refuse:
                    raise:
                      error:
                        type: https://example.com/errors/rejected
                        status: 422
                        title: Rejected
                        detail: ${ "order " + (.id | tostring) + " is not valid" }
                """));

        RunRecord run = runToEnd("refuse", "{\"id\":42}");

        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        assertThat(json(run.error().orElseThrow())).isEqualTo(json("""
                {"type":"https://example.com/errors/rejected","status":422,"title":"Rejected",
                 "detail":"order 42 is not valid","instance":"/do/0/refuse"}"""));
    }

    @Test
    void aJqErrorAtRunTimeFailsTheStepWithTheExpressionAndTheInputsShape() throws Exception {
        deploy(flow("bad-jq", """
                - sum:
                    set: { total: '${ .items | add + 1 }' }
                """));

        RunRecord run = runToEnd("bad-jq", "{\"items\":[\"a\"],\"owner\":\"x\"}");

        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        JsonNode error = json(run.error().orElseThrow());
        assertThat(error.get("type").asText()).isEqualTo(FlowError.EXPRESSION);
        assertThat(error.get("detail").asText()).contains(".items | add + 1").contains("an object with keys [items, owner]");
        assertThat(error.get("instance").asText()).isEqualTo("/do/0/sum");
    }

    @Test
    void aForLoopChainsItsIterationsAndAMapRunsThemAtOnce() throws Exception {
        arrows.define("double", input -> ok(json(String.valueOf(input.get("value").asInt() * 2))));
        deploy(flow("chain", """
                - sum:
                    for: { each: item, in: '${ .items }', at: i }
                    do:
                      - add:
                          set: { total: '${ .total + $item }', last: '${ $i }' }
                """));
        deploy(flow("map", """
                - each:
                    for: { each: item, in: '${ .items }' }
                    metadata: { maxConcurrency: 2 }
                    do:
                      - twice: { call: arrow, with: { name: double, input: { value: '${ $item }' } } }
                """));

        assertThat(json(runToEnd("chain", "{\"items\":[1,2,3],\"total\":0}").output().orElseThrow()))
                .isEqualTo(json("{\"total\":6,\"last\":2}"));
        RunRecord map = runToEnd("map", "{\"items\":[1,2,3,4,5]}");
        assertThat(json(map.output().orElseThrow())).isEqualTo(json("[2,4,6,8,10]"));
        assertThat(engine.steps(map.id())).extracting(StepRecord::path).contains("/do/0/each@4/for/do/0/twice");
    }

    @Test
    void aWaitEndsWhenTheClockReachesItsStoredEnd() throws Exception {
        deploy(flow("nap", """
                - nap:
                    wait: { hours: 2 }
                - after:
                    set: { woke: true }
                """));
        RunRecord run = engine.start("nap", json("{}"), "api", Optional.empty());
        await().until(() -> engine.steps(run.id()).stream().anyMatch(step -> step.status() == StepStatus.WAITING));
        StepRecord waiting = engine.steps(run.id()).getFirst();
        assertThat(waiting.dueAt()).contains(clock.instant().plus(Duration.ofHours(2)));

        clock.advance(Duration.ofHours(2));
        engine.nudge();

        assertThat(engine.await(run.id(), Duration.ofSeconds(20)).status()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void aListenTakesTheFirstMatchingEventAndTimesOutWithoutOne() throws Exception {
        deploy(flow("approval", """
                - approval:
                    listen:
                      to:
                        one:
                          with: { type: com.example.approved, source: 'https://shop.example/orders' }
                    timeout:
                      after: { hours: 1 }
                - verdict:
                    set: { by: '${ .[0].by }' }
                """));
        RunRecord answered = engine.start("approval", json("{}"), "api", Optional.empty());
        RunRecord ignored = engine.start("approval", json("{}"), "api", Optional.empty());
        await().until(() -> waiting(answered.id()) && waiting(ignored.id()));

        engine.eventAccepted(json("{\"type\":\"com.example.other\",\"source\":\"https://shop.example/orders\",\"data\":{}}"));
        assertThat(engine.run(answered.id()).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
        engine.eventAccepted(json("{\"type\":\"com.example.approved\",\"source\":\"https://shop.example/orders\",\"data\":{\"by\":\"ann\"}}"));
        RunRecord done = engine.await(answered.id(), Duration.ofSeconds(20));
        assertThat(json(done.output().orElseThrow())).isEqualTo(json("{\"by\":\"ann\"}"));
        // The other run took the same event: a listen takes any event accepted after it began.
        assertThat(engine.await(ignored.id(), Duration.ofSeconds(20)).status()).isEqualTo(RunStatus.SUCCEEDED);

        RunRecord late = engine.start("approval", json("{}"), "api", Optional.empty());
        await().until(() -> waiting(late.id()));
        clock.advance(Duration.ofHours(1));
        engine.nudge();
        RunRecord timedOut = engine.await(late.id(), Duration.ofSeconds(20));
        assertThat(timedOut.status()).isEqualTo(RunStatus.FAILED);
        assertThat(json(timedOut.error().orElseThrow()).get("type").asText()).isEqualTo(FlowError.TIMEOUT);
    }

    private boolean waiting(String run) {
        return engine.steps(run).stream().anyMatch(step -> step.status() == StepStatus.WAITING);
    }

    @Test
    void aResumedRunSkipsItsCompletedCallsAndRetriesTheOneCutOff() throws Exception {
        var release = new CountDownLatch(1);
        arrows.define("quick", input -> ok(json("\"quick\"")));
        arrows.define("stuck", input -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new FlowCalls.Result.Failed(new FlowError(FlowError.COMMUNICATION, 500, "cut", "cut", null));
            }
            return ok(json("\"stuck\""));
        });
        deploy(flow("resumable", """
                - one: { call: arrow, with: { name: quick } }
                - two: { call: arrow, with: { name: stuck } }
                - three: { call: arrow, with: { name: quick } }
                """));
        RunRecord run = engine.start("resumable", json("{}"), "api", Optional.empty());
        await().until(() -> arrows.calls("stuck") == 1);

        engine.close(); // the node stops mid-call: the run stays RUNNING
        assertThat(engine.run(run.id()).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
        release.countDown();
        engine = newEngine();
        engine.resume();

        RunRecord ended = engine.await(run.id(), Duration.ofSeconds(20));
        assertThat(ended.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(arrows.calls("quick")).isEqualTo(2);
        assertThat(arrows.calls("stuck")).isEqualTo(2);
        assertThat(arrows.keys).contains(run.id() + ":/do/1/two:1", run.id() + ":/do/1/two:2");
        StepRecord two = engine.steps(run.id()).stream().filter(step -> step.path().equals("/do/1/two")).findFirst()
                .orElseThrow();
        assertThat(two.attempt()).isEqualTo(2);
    }

    @Test
    void aFailedRunIsRedrivenFromTheStepThatFailed() throws Exception {
        var fixed = new java.util.concurrent.atomic.AtomicBoolean();
        arrows.define("prepare", input -> ok(json("{\"ready\":true}")));
        arrows.define("ship", input -> fixed.get() ? ok(json("\"shipped\""))
                : new FlowCalls.Result.Failed(new FlowError(FlowError.COMMUNICATION, 500, "Broken", "bug", null)));
        deploy(flow("deliver", """
                - prepare: { call: arrow, with: { name: prepare } }
                - ship: { call: arrow, with: { name: ship } }
                """));
        RunRecord failed = runToEnd("deliver", "{}");
        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThatThrownBy(() -> engine.redrive(runToEnd("deliver", "{}").id() + "x"))
                .isInstanceOf(FlowException.class);

        fixed.set(true);
        engine.redrive(failed.id());
        RunRecord redriven = engine.await(failed.id(), Duration.ofSeconds(20));

        assertThat(redriven.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(redriven.redrives()).isEqualTo(1);
        assertThat(arrows.calls("prepare")).isEqualTo(2); // once per run, not again on the redrive
        assertThatThrownBy(() -> engine.redrive(failed.id())).isInstanceOf(FlowException.class)
                .hasMessageContaining("succeeded");
    }

    @Test
    void aRunKeepsTheRevisionItStartedOn() throws Exception {
        var release = new CountDownLatch(1);
        arrows.define("gate", input -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ok(input);
        });
        deploy(flow("pinned", """
                - gate: { call: arrow, with: { name: gate } }
                - mark: { set: { version: 1 } }
                """));
        RunRecord first = engine.start("pinned", json("{}"), "api", Optional.empty());
        await().until(() -> arrows.calls("gate") == 1);
        deploy(flow("pinned", """
                - gate: { call: arrow, with: { name: gate } }
                - mark: { set: { version: 2 } }
                """));
        release.countDown();

        assertThat(json(engine.await(first.id(), Duration.ofSeconds(20)).output().orElseThrow()))
                .isEqualTo(json("{\"version\":1}"));
        assertThat(json(runToEnd("pinned", "{}").output().orElseThrow())).isEqualTo(json("{\"version\":2}"));
    }

    @Test
    void aCancelledRunStopsAndAStartWithAnIdIsIdempotent() throws Exception {
        deploy(flow("long", """
                - nap: { wait: { days: 1 } }
                """));
        RunRecord run = engine.start("long", json("{}"), "event", Optional.of("evt-1"));
        assertThat(engine.start("long", json("{}"), "event", Optional.of("evt-1")).id()).isEqualTo(run.id());
        await().until(() -> waiting(run.id()));

        assertThat(engine.cancel(run.id()).status()).isEqualTo(RunStatus.CANCELLED);
        assertThatThrownBy(() -> engine.cancel(run.id())).isInstanceOf(FlowException.class);
        assertThat(engine.await(run.id(), Duration.ofSeconds(5)).status()).isEqualTo(RunStatus.CANCELLED);
    }

    @Test
    void aRunThatTakesTooManyStepsFailsOnTheLimit() throws Exception {
        engine.close();
        engine = new FlowEngine(store, arrows, events, clock,
                new FlowSettings(256 * 1024, 20, 256 * 1024, 1 << 20, 100, Duration.ofDays(1), Duration.ofMillis(5)),
                FlowListener.NONE);
        deploy(flow("spin", """
                - bump:
                    set: { n: '${ (.n // 0) + 1 }' }
                - again:
                    switch:
                      - forever: { then: bump }
                """));

        RunRecord run = runToEnd("spin", "{}");

        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        assertThat(json(run.error().orElseThrow()).get("title").asText()).isEqualTo("Step limit exceeded");
    }

    @Test
    void aStatesLanguageMachineIsImportedAndRunsWithItsPathsRetriesAndCatchers() throws Exception {
        var flaky = new AtomicInteger();
        arrows.define("price", input -> ok(json("{\"total\":" + input.get("qty").asInt() * 3 + "}")));
        arrows.define("reserve", input -> flaky.incrementAndGet() < 2
                ? new FlowCalls.Result.Failed(new FlowError(FlowError.COMMUNICATION, 503, "Busy", "later", null))
                : ok(json("\"reserved\"")));
        arrows.define("label", input -> ok(json("\"label-" + input.asText() + "\"")));
        arrows.define("charge", input -> new FlowCalls.Result.Failed(
                new FlowError("CardDeclined", 402, "CardDeclined", "insufficient funds", null)));
        String machine = """
                {
                  "StartAt": "Price",
                  "States": {
                    "Price": {"Type": "Task", "Resource": "arrow:price", "Parameters": {"qty.$": "$.order.qty"},
                              "ResultPath": "$.price", "Next": "Big?"},
                    "Big?": {"Type": "Choice", "Choices": [
                               {"Variable": "$.price.total", "NumericGreaterThan": 100, "Next": "TooBig"}],
                             "Default": "Prepare"},
                    "TooBig": {"Type": "Fail", "Error": "OrderTooBig", "Cause": "over 100"},
                    "Prepare": {"Type": "Parallel", "ResultPath": "$.prepared", "Next": "Charge",
                                "Branches": [
                                  {"StartAt": "Reserve", "States": {"Reserve": {"Type": "Task",
                                      "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:reserve",
                                      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                                      "End": true}}},
                                  {"StartAt": "Labels", "States": {"Labels": {"Type": "Map", "ItemsPath": "$.order.items",
                                      "MaxConcurrency": 2, "End": true,
                                      "ItemProcessor": {"StartAt": "Label", "States": {"Label": {"Type": "Task",
                                          "Resource": "arrow:label", "End": true}}}}}}
                                ]},
                    "Charge": {"Type": "Task", "Resource": "arrow:charge", "ResultPath": "$.charged", "Next": "Done",
                               "Catch": [{"ErrorEquals": ["CardDeclined"], "ResultPath": "$.declined", "Next": "Declined"}]},
                    "Declined": {"Type": "Pass", "Parameters": {"why.$": "$.declined.Cause", "labels.$": "$.prepared[1]"},
                                 "End": true},
                    "Done": {"Type": "Succeed"}
                  }
                }""";
        engine.deploy(Language.ASL, machine, Optional.of("order-asl"));

        RunRecord started = engine.start("order-asl", json("{\"order\":{\"qty\":2,\"items\":[\"a\",\"b\",\"c\"]}}"),
                "api", Optional.empty());
        await().until(() -> retryTimers(started.id()) == 1);
        clock.advance(Duration.ofSeconds(2));
        engine.nudge();
        RunRecord run = engine.await(started.id(), Duration.ofSeconds(20));

        assertThat(run.status()).as("%s", run.error()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(run.output().orElseThrow()))
                .isEqualTo(json("{\"why\":\"insufficient funds\",\"labels\":[\"label-a\",\"label-b\",\"label-c\"]}"));
        assertThat(arrows.calls("reserve")).isEqualTo(2);
    }

    @Test
    void aWaitKeepsItsStoredEndAcrossARestart() throws Exception {
        deploy(flow("overnight", """
                - sleep: { wait: { hours: 8 } }
                - wake: { set: { awake: true } }
                """));
        RunRecord run = engine.start("overnight", json("{}"), "api", Optional.empty());
        await().until(() -> waiting(run.id()));
        Instant due = engine.steps(run.id()).getFirst().dueAt().orElseThrow();

        engine.close();
        clock.advance(Duration.ofHours(5)); // the node is down for five hours
        engine = newEngine();
        engine.resume();
        await().until(() -> engine.steps(run.id()).getFirst().dueAt().isPresent());
        assertThat(engine.steps(run.id()).getFirst().dueAt()).contains(due);
        assertThat(engine.await(run.id(), Duration.ofMillis(300)).status()).isEqualTo(RunStatus.RUNNING);
        clock.advance(Duration.ofHours(3));
        engine.nudge();

        RunRecord ended = engine.await(run.id(), Duration.ofSeconds(20));
        assertThat(ended.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(ended.output().orElseThrow())).isEqualTo(json("{\"awake\":true}"));
    }

    @Test
    void aListenResumedAfterARestartTakesAnEventThatCameWhileTheNodeWasDown() throws Exception {
        deploy(flow("approval-later", """
                - approval:
                    listen:
                      to:
                        one:
                          with: { type: com.example.approved }
                """));
        RunRecord run = engine.start("approval-later", json("{}"), "api", Optional.empty());
        await().until(() -> waiting(run.id()));

        engine.close();
        clock.advance(Duration.ofMinutes(1));
        events.stored.add(json("{\"type\":\"com.example.approved\",\"time\":\"" + clock.instant()
                + "\",\"data\":{\"by\":\"bo\"}}"));
        engine = newEngine();
        engine.resume();

        RunRecord ended = engine.await(run.id(), Duration.ofSeconds(20));
        assertThat(ended.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(json(ended.output().orElseThrow())).isEqualTo(json("[{\"by\":\"bo\"}]"));
    }

    @Test
    void oversizedDefinitionsInputsAndStepOutputsAreRefusedWithTheirLimits() throws Exception {
        String padding = "#".repeat(300 * 1024);
        assertThatThrownBy(() -> deploy(flow("huge", "- a: { set: { x: 1 } }\n") + padding))
                .isInstanceOfSatisfying(FlowException.class, e -> assertThat(e.kind()).isEqualTo(FlowException.Kind.TOO_LARGE))
                .hasMessageContaining("at most 262144");
        deploy(flow("grow", """
                - grow:
                    set: { big: '${ [range(0; 40000)] | map("xxxxxxxxxx") | join("") }' }
                """));
        assertThatThrownBy(() -> engine.start("grow", json("{\"s\":\"" + "y".repeat(300 * 1024) + "\"}"), "api",
                Optional.empty())).isInstanceOfSatisfying(FlowException.class,
                        e -> assertThat(e.kind()).isEqualTo(FlowException.Kind.TOO_LARGE));

        RunRecord run = runToEnd("grow", "{}");

        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        JsonNode error = json(run.error().orElseThrow());
        assertThat(error.get("status").asInt()).isEqualTo(413);
        assertThat(error.get("detail").asText()).contains("output").contains("at most 262144");
        assertThat(error.get("instance").asText()).isEqualTo("/do/0/grow");
    }

    @Test
    void aDeployOfAFlowCallingAMissingArrowIsRefusedWithThePath() {
        assertThatThrownBy(() -> deploy(flow("orphan", """
                - lost: { call: arrow, with: { name: nowhere } }
                """))).isInstanceOf(DefinitionException.class).hasMessageContaining("/do/0/lost")
                .hasMessageContaining("nowhere");
    }
}
