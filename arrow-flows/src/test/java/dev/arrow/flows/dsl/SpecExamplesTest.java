package dev.arrow.flows.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.flows.definition.Definitions;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.ErrorFilter;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.RetryPolicy;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.definition.Then;
import dev.arrow.flows.definition.WaitFor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Definitions shaped like the specification's examples that fall in Arrow's subset, with arrows for HTTP calls. */
class SpecExamplesTest {

    static FlowDefinition example(String name) throws IOException, DefinitionException {
        try (InputStream in = SpecExamplesTest.class.getResourceAsStream("/spec-examples/" + name + ".yaml")) {
            assertThat(in).as(name).isNotNull();
            return DslReader.read(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"call", "call-function", "conditional", "do", "for", "fork", "listen", "raise",
            "raise-reusable", "schedule-cron", "schedule-event", "set", "switch", "try-catch", "try-catch-retry",
            "try-catch-retry-reusable", "wait"})
    void everyExampleReadsAndPassesTheDeployChecks(String name) throws Exception {
        FlowDefinition flow = example(name);
        assertThat(flow.namespace()).isEqualTo("examples");
        assertThat(flow.body().steps()).isNotEmpty();
        Definitions.validate(flow, arrow -> true);
    }

    @Test
    void callNamesItsArrow() throws Exception {
        assertThat(example("call").body().steps()).singleElement().isInstanceOfSatisfying(Step.Call.class, call -> {
            assertThat(call.arrow()).isEqualTo("pets");
            assertThat(call.input()).hasValueSatisfying(input -> assertThat(input.get("petId").asText())
                    .isEqualTo("${ .petId }"));
        });
        assertThat(example("call-function").body().steps()).singleElement()
                .isInstanceOfSatisfying(Step.Call.class, call -> assertThat(call.arrow()).isEqualTo("pets"));
    }

    @Test
    void doRunsInOrder() throws Exception {
        assertThat(example("do").body().steps()).extracting(step -> step.task().path())
                .containsExactly("/do/0/bookFlight", "/do/1/bookHotel");
    }

    @Test
    void forkCompetes() throws Exception {
        assertThat(example("fork").body().steps()).singleElement().isInstanceOfSatisfying(Step.Fork.class, fork -> {
            assertThat(fork.compete()).isTrue();
            assertThat(fork.branches()).hasSize(2);
        });
    }

    @Test
    void forIteratesWhileItsConditionHolds() throws Exception {
        assertThat(example("for").body().steps()).singleElement().isInstanceOfSatisfying(Step.ForEach.class, loop -> {
            assertThat(loop.each()).isEqualTo("pet");
            assertThat(loop.in()).isEqualTo(".pets");
            assertThat(loop.whileCondition()).contains(".vet != null");
            assertThat(loop.body().steps()).singleElement().isInstanceOf(Step.Listen.class);
        });
    }

    @Test
    void switchGoesToTheTasksAfterIt() throws Exception {
        List<Step> steps = example("switch").body().steps();
        assertThat(steps.getFirst()).isInstanceOfSatisfying(Step.Switch.class, choice -> assertThat(choice.cases())
                .extracting(Step.Switch.Case::then).containsExactly(new Then.GoTo("processElectronicOrder"),
                        new Then.GoTo("processPhysicalOrder"), new Then.GoTo("handleUnknownOrderType")));
        assertThat(steps.get(1).task().then()).isEqualTo(new Then.Exit());
    }

    @Test
    void tryCatchHandlesANotFound() throws Exception {
        assertThat(example("try-catch").body().steps()).singleElement().isInstanceOfSatisfying(Step.Try.class, attempt -> {
            assertThat(attempt.handler().errors().status()).contains(404);
            assertThat(attempt.handler().body()).isPresent();
            assertThat(attempt.handler().retry()).isEmpty();
        });
    }

    @Test
    void retriesInlineAndReusable() throws Exception {
        Step.Catch inline = ((Step.Try) example("try-catch-retry").body().steps().getFirst()).handler();
        assertThat(inline.retry()).contains(new RetryPolicy(Duration.ofSeconds(3), new RetryPolicy.Backoff.Exponential(2),
                Optional.empty(), Duration.ZERO, Duration.ZERO, Optional.of(6), Optional.empty()));
        Step.Catch reusable = ((Step.Try) example("try-catch-retry-reusable").body().steps().getFirst()).handler();
        assertThat(reusable.errors()).isEqualTo(new ErrorFilter(
                List.of("https://serverlessworkflow.io/spec/1.0.0/errors/communication"), Optional.of(503),
                Optional.empty(), Optional.empty(), Optional.empty()));
        assertThat(reusable.retry()).contains(new RetryPolicy(Duration.ofSeconds(3), new RetryPolicy.Backoff.Linear(),
                Optional.empty(), Duration.ofMillis(100), Duration.ofSeconds(1), Optional.of(6),
                Optional.of(Duration.ofMinutes(10))));
    }

    @Test
    void raiseInlineAndReusableGiveTheSameKindOfError() throws Exception {
        Step.Raise inline = (Step.Raise) example("raise").body().steps().getFirst();
        Step.Raise reusable = (Step.Raise) example("raise-reusable").body().steps().getFirst();
        assertThat(inline.error().get("status").asInt()).isEqualTo(500);
        assertThat(reusable.error().get("type").asText()).isEqualTo(inline.error().get("type").asText());
    }

    @Test
    void waitAndListen() throws Exception {
        assertThat(example("wait").body().steps()).extracting(step -> ((Step.Wait) step).waitFor())
                .containsExactly(new WaitFor.Fixed(Duration.ofMillis(250)), new WaitFor.Fixed(Duration.ofMillis(1500)));
        assertThat(example("listen").body().steps().getFirst()).isInstanceOfSatisfying(Step.Listen.class, listen -> {
            assertThat(listen.attributes()).isEqualTo(Map.of("type", "com.virtual-wf-powered-race.events.race.started.v1"));
            assertThat(listen.task().timeout()).contains(Duration.ofHours(1));
        });
    }

    @Test
    void schedules() throws Exception {
        assertThat(example("schedule-cron").starts()).containsExactly(new FlowDefinition.Start.Cron("0 2 * * *", "UTC"));
        assertThat(example("schedule-event").starts())
                .containsExactly(new FlowDefinition.Start.OnEvent(Map.of("type", "com.shop.order.placed.v1")));
    }
}
