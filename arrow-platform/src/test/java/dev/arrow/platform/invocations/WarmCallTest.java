package dev.arrow.platform.invocations;

import static dev.arrow.platform.invocations.Eventually.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import dev.arrow.platform.InstanceUnavailableException;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Scaling;
import dev.arrow.platform.invocations.FakeSandboxes.AppSandbox;
import dev.arrow.runtime.OutputPolicy;
import dev.arrow.runtime.instances.MemoryBudget;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Gateway requests to http-mode arrows: the slot a {@link WarmCall} holds, and how its end is recorded. */
@Timeout(10)
class WarmCallTest {

    /** How long a request waits for a busy fleet (real time: the runtime's fleet waits on its own). */
    static final Duration FLEET_WAIT = Duration.ofMillis(50);
    static final DispatchSettings SETTINGS = new DispatchSettings(4, 2, 4, FLEET_WAIT, 100, 1024,
            new OutputPolicy(64, 1024, 16), Duration.ofSeconds(10));
    private static final long MEMORY = 128L << 20;

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void closeNodes() {
        nodes.forEach(TestNode::close);
    }

    private TestNode node() {
        return node(new MemoryBudget(TestNode.MEMORY));
    }

    private TestNode node(MemoryBudget budget) {
        var node = new TestNode(SETTINGS, budget);
        nodes.add(node);
        node.invocations.start();
        return node;
    }

    /** An http-mode arrow on the host's network, so that its fake instances are reached without a namespace. */
    static ArrowSpec web(Scaling scaling) {
        return ArrowSpec.http("web", List.of("/usr/bin/web")).withNetwork(NetworkPolicy.HOST).withScaling(scaling);
    }

    static ArrowSpec web() {
        return web(Scaling.DEFAULT);
    }

    @Test
    void aRequestHoldsASlotUntilItsFinishRecordsIt() throws Exception {
        TestNode node = node();
        node.deploy(web());
        node.clock.advance(Duration.ofMinutes(1));
        Instant opened = node.clock.instant();

        WarmCall call = node.invocations.openHttp("web");

        assertThat(call.cold()).isTrue();
        assertThat(call.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(call.instance().id()).isEqualTo("web-r1-1");
        assertThat(node.warm.stats().inFlight()).isEqualTo(1);
        assertThat(node.store.find(call.invocationId())).as("stored at its finish").isEmpty();
        AppSandbox app = node.sandboxes.nextApp();
        assertThat(app.spec().env()).containsEntry("ARROW_NAME", "web").containsEntry("ARROW_REVISION", "1");

        node.clock.advance(Duration.ofMillis(250));
        InvocationRecord record = call.finish(200, 1234, Optional.empty());

        assertThat(record.id()).isEqualTo(call.invocationId());
        assertThat(record.trigger()).isEqualTo(Trigger.HTTP);
        assertThat(record.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(record.revision()).isEqualTo(1);
        assertThat(record.acceptedAt()).isEqualTo(opened);
        assertThat(record.attempts()).isEqualTo(1);
        Execution run = record.execution().orElseThrow();
        assertThat(run.startedAt()).isEqualTo(opened);
        assertThat(run.cold()).isTrue();
        assertThat(run.initTime()).isEqualTo(call.instance().initTime());
        assertThat(run.duration()).isEqualTo(Duration.ofMillis(250));
        assertThat(run.billed()).isEqualTo(Duration.ofMillis(250));
        assertThat(run.gbSeconds()).isCloseTo(0.125 * 0.25, within(1e-12));
        assertThat(run.memoryLimitBytes()).isEqualTo(MEMORY);
        assertThat(run.outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.outputBytes()).isEqualTo(1234);
        assertThat(run.instance()).contains("web-r1-1");
        assertThat(node.stored(record.id())).isEqualTo(record);
        assertThat(node.listener.finished()).containsExactly(record);
        assertThat(node.warm.stats().inFlight()).isZero();

        WarmCall again = node.invocations.openHttp("web");
        assertThat(again.cold()).isFalse();
        assertThat(again.instance()).isSameAs(call.instance());
        Execution warm = again.finish(200, 0, Optional.empty()).execution().orElseThrow();
        assertThat(warm.cold()).isFalse();
        assertThat(warm.initTime()).isZero();
        assertThat(warm.duration()).isZero();
        assertThat(warm.billed()).as("at least a millisecond").isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void tryOpenHttpTakesOnlyAFreeSlotOfAReadyInstance() throws Exception {
        TestNode node = node();
        node.deploy(web());
        node.deploy(ArrowSpec.exec("job", List.of("/bin/job")));

        assertThat(node.invocations.tryOpenHttp("web")).as("no instance yet").isEmpty();
        WarmCall cold = node.invocations.openHttp("web");
        assertThat(node.invocations.tryOpenHttp("web")).as("its only instance is busy").isEmpty();
        cold.finish(200, 0, Optional.empty());

        WarmCall call = node.invocations.tryOpenHttp("web").orElseThrow();
        assertThat(call.cold()).isFalse();
        assertThat(call.instance()).isSameAs(cold.instance());
        assertThat(call.finish(204, 0, Optional.empty()).trigger()).isEqualTo(Trigger.HTTP);
        assertThat(node.invocations.tryOpenHttp("job")).isEmpty();
        assertThat(node.invocations.tryOpenHttp("nobody")).isEmpty();
        node.invocations.close();
        assertThat(node.invocations.tryOpenHttp("web")).isEmpty();
    }

    @Test
    void anAnswerWithAServerErrorStatusFails() throws Exception {
        TestNode node = node();
        node.deploy(web());

        InvocationRecord record = node.invocations.openHttp("web").finish(503, 10, Optional.empty());

        assertThat(record.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(record.execution().orElseThrow().error().map(RunError::message)).contains("the instance answered with status 503");
        assertThat(record.execution().orElseThrow().outcome()).isEqualTo(new Outcome.Exited(0));
    }

    @Test
    void aTimeoutStopsAnInstanceThatServedOnlyThatRequest() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall call = node.invocations.openHttp("web");
        AppSandbox app = node.sandboxes.nextApp();

        InvocationRecord record = call.finish(0, 0, Optional.of(new TimeoutException()));

        assertThat(record.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(record.execution().orElseThrow().outcome()).isEqualTo(new Outcome.TimedOut());
        assertThat(call.instance().stopped()).isTrue();
        assertThat(app.ended()).isTrue();
        assertThat(node.invocations.openHttp("web").instance().id()).as("a new one").isEqualTo("web-r1-2");
    }

    @Test
    void anInstanceStoppedAfterATimeoutGetsNoRequestWhileItsSandboxEnds() throws Exception {
        TestNode node = node();
        node.deploy(web());
        node.sandboxes.killsTakeTime();
        WarmCall call = node.invocations.openHttp("web");
        AppSandbox app = node.sandboxes.nextApp();

        call.finish(0, 0, Optional.of(new TimeoutException()));
        assertThat(app.killed()).isTrue();
        assertThat(call.instance().alive()).as("its sandbox takes a moment to end").isTrue();

        assertThat(node.invocations.tryOpenHttp("web")).isEmpty();
        WarmCall next = node.invocations.openHttp("web");
        assertThat(next.instance().id()).isEqualTo("web-r1-2");
        assertThat(next.cold()).isTrue();
        app.die();
        next.finish(200, 0, Optional.empty());
    }

    @Test
    void aTimeoutLeavesAnInstanceServingOthersRunning() throws Exception {
        TestNode node = node();
        node.deploy(web(new Scaling(2, 0, 1)));
        WarmCall call = node.invocations.openHttp("web");
        WarmCall other = node.invocations.openHttp("web");

        call.finish(0, 0, Optional.of(new TimeoutException()));

        assertThat(call.instance().stopped()).isFalse();
        assertThat(other.finish(200, 0, Optional.empty()).status()).isEqualTo(InvocationStatus.SUCCEEDED);
    }

    @Test
    void aBrokenConnectionToAnInstanceThatCrashedFailsWithHowItEnded() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall crashed = node.invocations.openHttp("web");
        node.sandboxes.nextApp().crash(0);
        awaitTrue(() -> !crashed.instance().alive());

        InvocationRecord record = crashed.finish(0, 0, Optional.of(new IOException("Connection reset")));

        Execution run = record.execution().orElseThrow();
        assertThat(record.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(run.outcome()).as("an exit on its own while serving is a failure").isEqualTo(new Outcome.Exited(1));
        assertThat(run.error().map(RunError::message)).contains("the instance web-r1-1 crashed while serving (exited)");
        assertThat(crashed.instance().stopped()).isFalse();
        assertThat(node.warm.stats().inFlight()).isZero();
    }

    @Test
    void anInstanceThatNeitherAnswersNorEndsIsCalledUnreachableOnceItsGracePasses() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall call = node.invocations.openHttp("web");

        CompletableFuture<InvocationRecord> finishing =
                call.finishWithoutBlocking(0, 0, Optional.of(new IOException("Connection reset")));
        awaitTrue(() -> node.clock.waiting() == 1);
        node.clock.advance(Duration.ofMillis(499));
        assertThatThrownBy(() -> finishing.get(20, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        node.clock.advance(Duration.ofMillis(1));

        InvocationRecord record = finishing.get(5, TimeUnit.SECONDS);
        assertThat(record.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(record.execution().orElseThrow().outcome()).isEqualTo(new Outcome.FailedToStart(
                "instance-unreachable", "the instance web-r1-1 did not answer: Connection reset"));
        assertThat(record.execution().orElseThrow().duration()).isEqualTo(Duration.ofMillis(500));
        assertThat(call.instance().alive()).isTrue();
        assertThat(node.warm.stats().inFlight()).isZero();
    }

    @Test
    void anAbandonedRequestFreesItsSlotAtOnceAndFails() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall call = node.invocations.openHttp("web");

        InvocationRecord record = call.abandon(200, 10);

        assertThat(node.warm.stats().inFlight()).isZero();
        assertThat(record.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(record.execution().orElseThrow().error().map(RunError::message))
                .contains("the client closed the connection before the answer was out (the instance answered 200)");
        assertThat(record.execution().orElseThrow().error().map(RunError::code)).contains("abandoned");
        assertThat(record.execution().orElseThrow().outputBytes()).isEqualTo(10);
        assertThat(call.instance().stopped()).as("the instance is not at fault").isFalse();
        assertThat(node.invocations.openHttp("web").abandon(0, 0).execution().orElseThrow().error().map(RunError::message))
                .contains("the client closed the connection before the answer was out");
    }

    @Test
    void finishingWithoutBlockingCompletesAtOnceUnlessItMustWait() throws Exception {
        TestNode node = node();
        node.deploy(web(new Scaling(2, 0, 1)));
        WarmCall shared = node.invocations.openHttp("web"); // serves others too: no log of its own to wait for
        WarmCall abandoned = node.invocations.openHttp("web");

        CompletableFuture<InvocationRecord> finished = shared.finishWithoutBlocking(200, 5, Optional.empty());
        CompletableFuture<InvocationRecord> abandoning = abandoned.abandonWithoutBlocking(0, 0);

        assertThat(finished).isDone();
        assertThat(finished.join().status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(abandoning).isDone();
        assertThat(abandoning.join().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(node.warm.stats().inFlight()).isZero();
    }

    @Test
    void finishingWithoutBlockingAnExclusiveInstancesRequestCompletesOnAThreadOfItsOwn() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall finishing = node.invocations.openHttp("web");

        InvocationRecord finished = finishing.finishWithoutBlocking(200, 5, Optional.empty()).get(5, TimeUnit.SECONDS);
        InvocationRecord abandoned = node.invocations.openHttp("web").abandonWithoutBlocking(0, 0)
                .get(5, TimeUnit.SECONDS);

        assertThat(finished.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(abandoned.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(node.listener.finished()).containsExactly(finished, abandoned);
        assertThat(node.warm.stats().inFlight()).isZero();
    }

    @Test
    void whatAnInstanceServingOneRequestWritesIsThatRequestsLog() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall call = node.invocations.openHttp("web");
        AppSandbox app = node.sandboxes.nextApp();

        app.log("GET /hello 200");
        awaitTrue(() -> call.instance().logTail().contains("GET /hello 200"));
        InvocationRecord record = call.finish(200, 0, Optional.empty());

        assertThat(node.invocations.log(record.id())).isEqualTo("GET /hello 200\n");
        assertThat(record.execution().orElseThrow().logBytes()).isEqualTo(15);
    }

    @Test
    void aSecondFinishIsRefusedAndDoesNotTouchTheInstanceItsSlotWentTo() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall first = node.invocations.openHttp("web");
        first.finish(200, 0, Optional.empty());
        WarmCall next = node.invocations.openHttp("web");
        assertThat(next.instance()).isSameAs(first.instance());

        assertThatThrownBy(() -> first.finish(200, 0, Optional.empty()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("is already finished");
        assertThatThrownBy(() -> first.abandon(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> first.finish(0, 0, Optional.of(new TimeoutException())))
                .isInstanceOf(IllegalStateException.class);

        assertThat(next.instance().stopped()).as("the instance now serves another request").isFalse();
        assertThat(node.warm.stats().inFlight()).isEqualTo(1);
        assertThat(next.finish(200, 0, Optional.empty()).status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(node.listener.finished()).hasSize(2);
    }

    @Test
    void onlyHttpModeArrowsThatExistAreOpened() {
        TestNode node = node();
        node.deploy(ArrowSpec.exec("job", List.of("/bin/job")));

        assertThatThrownBy(() -> node.invocations.openHttp("job"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("arrow"))
                .hasMessageContaining("runs in exec mode");
        assertThatThrownBy(() -> node.invocations.openHttp("nobody")).isInstanceOf(NotFoundException.class);
        assertThat(node.store.writes()).isEmpty();
    }

    @Test
    void anInstanceThatCannotStartFailsTheRequestAndLeavesItsRecord() throws Exception {
        TestNode node = node();
        node.deploy(web());
        node.sandboxes.failStarts("ImportError: no module named app");

        var failure = catchThrowableOfType(InstanceUnavailableException.class,
                () -> node.invocations.openHttp("web"));

        InvocationRecord record = node.stored(failure.invocationId());
        assertThat(record.trigger()).isEqualTo(Trigger.HTTP);
        assertThat(record.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(record.execution().orElseThrow().outcome()).isInstanceOfSatisfying(Outcome.FailedToStart.class,
                outcome -> {
                    assertThat(outcome.reason()).isEqualTo("instance-start-failed");
                    assertThat(outcome.detail()).contains("the instance exited before it was ready");
                });
        assertThat(failure.getMessage()).contains("the instance exited before it was ready");
        assertThat(node.listener.finished()).containsExactly(record);
    }

    @Test
    void aRequestToAFleetAtItsMaxInstancesIsRefusedWhenNoSlotFreesInTime() throws Exception {
        TestNode node = node();
        node.deploy(web(new Scaling(1, 0, 1)));
        WarmCall busy = node.invocations.openHttp("web");

        assertThatThrownBy(() -> node.invocations.openHttp("web"))
                .isInstanceOfSatisfying(OverloadedException.class,
                        e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1)))
                .hasMessageContaining("no instance of web-r1 was free within 50 ms");
        assertThat(node.store.writes()).isEmpty();
        busy.finish(200, 0, Optional.empty());
        node.invocations.openHttp("web").finish(200, 0, Optional.empty());
    }

    @Test
    void instancesStartOnlyWhileTheNodesMemoryHasRoomForThem() throws Exception {
        TestNode node = node(new MemoryBudget(MEMORY + MEMORY / 2));
        node.deploy(web(new Scaling(1, 0, 5)));
        WarmCall first = node.invocations.openHttp("web");
        assertThat(node.budget.reservedBytes()).isEqualTo(MEMORY);

        assertThatThrownBy(() -> node.invocations.openHttp("web")).isInstanceOf(OverloadedException.class);
        assertThat(node.sandboxes.specs()).as("no second instance started").hasSize(1);

        first.finish(200, 0, Optional.empty());
        WarmCall next = node.invocations.openHttp("web");
        assertThat(next.instance()).isSameAs(first.instance());
        next.finish(200, 0, Optional.empty());
    }

    @Test
    void anIdleInstanceIsStoppedOnceItsKeepAliveHasPassed() throws Exception {
        TestNode node = node();
        node.deploy(web(new Scaling(1, 0, 2, Duration.ofMinutes(1))));
        WarmCall call = node.invocations.openHttp("web");
        AppSandbox app = node.sandboxes.nextApp();
        call.finish(200, 0, Optional.empty());

        node.clock.advance(Duration.ofSeconds(59));
        node.warm.reapIdle();
        assertThat(app.ended()).isFalse();
        assertThat(node.warm.instances("web")).hasSize(1);

        node.clock.advance(Duration.ofSeconds(1));
        node.warm.reapIdle();
        assertThat(app.ended()).isTrue();
        assertThat(call.instance().stopped()).isTrue();
        awaitTrue(() -> node.warm.stats().instances() == 0);
    }

    @Test
    void theMinimumOfInstancesIsKeptPastTheKeepAlive() throws Exception {
        TestNode node = node();
        node.deploy(web(new Scaling(1, 1, 2, Duration.ofMinutes(1))));
        AppSandbox app = node.sandboxes.nextApp(); // started by the deploy

        node.clock.advance(Duration.ofHours(1));
        node.warm.reapIdle();

        assertThat(app.ended()).isFalse();
        awaitTrue(() -> node.warm.stats().instances() == 1);
        WarmCall call = node.invocations.openHttp("web");
        assertThat(call.cold()).isFalse();
        call.finish(200, 0, Optional.empty());
    }

    @Test
    void aRedeployDrainsThePreviousRevisionsInstancesOnceTheirRequestsEnd() throws Exception {
        TestNode node = node();
        node.deploy(web());
        WarmCall old = node.invocations.openHttp("web");
        AppSandbox oldApp = node.sandboxes.nextApp();

        node.deploy(web());
        WarmCall current = node.invocations.openHttp("web");

        assertThat(current.instance().id()).isEqualTo("web-r2-1");
        assertThat(oldApp.ended()).as("busy: it finishes its request").isFalse();
        assertThat(old.finish(200, 0, Optional.empty()).revision()).isEqualTo(1);
        assertThat(oldApp.ended()).isTrue();
        assertThat(current.finish(200, 0, Optional.empty()).revision()).isEqualTo(2);
    }
}
