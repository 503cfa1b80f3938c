package dev.arrow.platform.invocations;

import static dev.arrow.platform.invocations.Eventually.awaitTrue;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.ArrowLimits;
import dev.arrow.platform.arrows.Scaling;
import dev.arrow.platform.invocations.FakeSandboxes.AppSandbox;
import dev.arrow.platform.invocations.FakeSandboxes.Reply;
import dev.arrow.platform.invocations.FakeSandboxes.Request;
import dev.arrow.sandbox.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** API invocations, sync and async, of http-mode arrows: the input is POSTed to / of a warm instance. */
@Timeout(10)
class HttpModeInvocationTest {

    private final List<TestNode> nodes = new ArrayList<>();
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final CountDownLatch never = new CountDownLatch(1);

    @AfterEach
    void closeNodes() {
        never.countDown();
        nodes.forEach(TestNode::close);
    }

    private TestNode node() {
        var node = new TestNode(WarmCallTest.SETTINGS);
        nodes.add(node);
        node.invocations.start();
        return node;
    }

    /** An app that answers each request with {@code reply}, keeping the request. */
    private FakeSandboxes.App answering(Reply reply) {
        return (request, instance) -> {
            requests.add(request);
            return reply;
        };
    }

    @Test
    void aSyncInvocationPostsItsInputToAnInstanceAndRecordsTheAnswer() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web());
        node.sandboxes.app((request, instance) -> {
            requests.add(request);
            return new Reply(200, Map.of(), ("echo " + request.text()).getBytes(UTF_8));
        });
        node.clock.advance(Duration.ofSeconds(42));

        CompletedInvocation done = node.invocations.invoke("web", "{\"n\": 1}".getBytes(UTF_8));

        assertThat(new String(done.output(), UTF_8)).isEqualTo("echo {\"n\": 1}");
        InvocationRecord record = done.record();
        assertThat(record.trigger()).isEqualTo(Trigger.SYNC);
        assertThat(record.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(record.acceptedAt()).isEqualTo(node.clock.instant());
        assertThat(done.execution().cold()).isTrue();
        assertThat(done.execution().instance()).contains("web-r1-1");
        assertThat(done.execution().outputBytes()).isEqualTo(13);
        assertThat(node.stored(record.id())).isEqualTo(record);
        assertThat(new String(node.invocations.output(record.id()), UTF_8)).isEqualTo("echo {\"n\": 1}");

        Request request = requests.take();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/");
        assertThat(request.headers())
                .containsEntry("content-type", "application/json")
                .containsEntry("arrow-invocation-id", record.id())
                .containsEntry("arrow-deadline-ms", Long.toString(node.clock.millis() + 30_000));

        node.invocations.invoke("web", "plain".getBytes(UTF_8));
        assertThat(requests.take().headers()).containsEntry("content-type", "application/octet-stream");
        assertThat(node.sandboxes.specs()).as("the second one was warm").hasSize(1);
    }

    @Test
    void aHandlerErrorFailsTheInvocationWithItsTypeAndMessage() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web());
        node.sandboxes.app(answering(new Reply(500, Map.of("Arrow-Error", "handler"),
                "{\"errorType\": \"TypeError\", \"errorMessage\": \"x is undefined\"}".getBytes(UTF_8))));

        CompletedInvocation done = node.invocations.invoke("web", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().error().map(RunError::message)).contains("the handler failed: TypeError: x is undefined");
        assertThat(done.execution().error()).containsInstanceOf(RunError.HandlerFailed.class);
        assertThat(done.execution().error().map(RunError::code)).contains("handler_error");
        assertThat(done.output()).isEmpty();
        assertThat(node.invocations.output(done.record().id())).isEmpty();
    }

    @Test
    void aServerErrorStatusFailsTheInvocation() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web());
        node.sandboxes.app(answering(new Reply(502, Map.of(), "bad gateway".getBytes(UTF_8))));

        CompletedInvocation done = node.invocations.invoke("web", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().error().map(RunError::message)).contains("the instance answered with status 502");
    }

    @Test
    void anAnswerOverTheOutputLimitFailsTheInvocation() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web());
        node.sandboxes.app(answering(Reply.ok("y".repeat(100))));

        CompletedInvocation done = node.invocations.invoke("web", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().error().map(RunError::message)).contains("the output is larger than 64 bytes");
        assertThat(done.execution().error()).contains(new RunError.OutputTooLarge(64));
        assertThat(done.output()).isEmpty();
    }

    @Test
    void anInstanceThatDoesNotAnswerWithinTheArrowsTimeoutIsStopped() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web().withLimits(ArrowLimits.DEFAULT.withTimeout(Duration.ofMillis(100))));
        node.sandboxes.app((request, instance) -> {
            never.await();
            return Reply.ok("too late");
        });

        CompletedInvocation done = node.invocations.invoke("web", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().outcome()).isEqualTo(new Outcome.TimedOut());
        assertThat(node.sandboxes.nextApp().ended()).isTrue();
    }

    @Test
    void anInstanceThatCrashesWhileServingFailsTheInvocationWithItsExit() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web());
        node.sandboxes.app((request, instance) -> {
            instance.crash(3);
            throw new IllegalStateException("crashed");
        });

        CompletedInvocation done = node.invocations.invoke("web", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().outcome()).isEqualTo(new Outcome.Exited(3));
        assertThat(done.execution().error().map(RunError::message)).contains("the instance web-r1-1 crashed while serving (exited)");
    }

    @Test
    void anAsyncInvocationOfAnHttpModeArrowRunsOnAnInstance() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web());
        node.sandboxes.app(answering(Reply.ok("done")));

        InvocationRecord accepted = node.invocations.submit("web", "later".getBytes(UTF_8));
        InvocationRecord finished = node.listener.finished(accepted.id());

        assertThat(finished.trigger()).isEqualTo(Trigger.ASYNC);
        assertThat(finished.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(finished.attempts()).isEqualTo(1);
        assertThat(new String(node.invocations.output(accepted.id()), UTF_8)).isEqualTo("done");
        assertThat(requests.take().text()).isEqualTo("later");
        assertThat(node.store.writes()).containsExactly("accept " + accepted.id(), "start " + accepted.id(),
                "finish " + accepted.id());
    }

    @Test
    void anAsyncInvocationWaitsForABusyFleetARetryPauseAtATime() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web(new Scaling(1, 0, 1)));
        WarmCall busy = node.invocations.openHttp("web");
        InvocationRecord accepted = node.invocations.submit("web", new byte[0]);

        awaitTrue(() -> node.clock.waiting() == 1); // refused by the fleet, it pauses before it asks again
        busy.finish(200, 0, Optional.empty());
        node.clock.advance(Duration.ofMillis(999));
        assertThat(node.stored(accepted.id()).status()).isEqualTo(InvocationStatus.RUNNING);
        node.clock.advance(Duration.ofMillis(1));

        InvocationRecord finished = node.listener.finished(accepted.id());
        assertThat(finished.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(finished.execution().orElseThrow().cold()).isFalse();
    }

    @Test
    void startWarmsTheMinimumOfTheHttpModeArrowsOfThePreviousRun() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web(new Scaling(1, 1, 2)));
        node.sandboxes.nextApp();
        node.close();

        TestNode next = node.restart();
        nodes.add(next);
        next.invocations.start();

        AppSandbox app = next.sandboxes.nextApp();
        assertThat(app.spec().env()).containsEntry("ARROW_REVISION", "1");
        awaitTrue(() -> next.warm.stats().instances() == 1);
        assertThat(next.invocations.tryOpenHttp("web")).isPresent();
    }

    @Test
    void anAsyncInvocationWaitingThroughARedeployGoesToTheNewRevisionsFleetAndLeavesItServing() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web(new Scaling(1, 0, 1)));
        WarmCall busy = node.invocations.openHttp("web");
        InvocationRecord accepted = node.invocations.submit("web", new byte[0]);
        awaitTrue(() -> node.clock.waiting() == 1);

        node.deploy(WarmCallTest.web(new Scaling(1, 0, 1)));
        node.clock.advance(Duration.ofSeconds(1));

        InvocationRecord finished = node.listener.finished(accepted.id());
        assertThat(finished.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(finished.execution().orElseThrow().instance()).contains("web-r2-1");
        WarmCall next = node.invocations.openHttp("web");
        assertThat(next.instance().id()).as("the new revision's fleet was not replaced").isEqualTo("web-r2-1");
        next.finish(200, 0, Optional.empty());
        busy.finish(200, 0, Optional.empty());
    }

    @Test
    void anAsyncInvocationOfAnArrowDeletedWhileItWaitsForAnInstanceFailsAndLeavesTheQueue() throws Exception {
        TestNode node = node();
        node.deploy(WarmCallTest.web(new Scaling(1, 0, 1)));
        WarmCall busy = node.invocations.openHttp("web");
        InvocationRecord accepted = node.invocations.submit("web", new byte[0]);
        awaitTrue(() -> node.clock.waiting() == 1);

        node.arrowStore.delete("web");
        node.invocations.arrowChanged("web");
        node.clock.advance(Duration.ofSeconds(1));

        InvocationRecord finished = node.listener.finished(accepted.id());
        assertThat(finished.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(finished.execution().orElseThrow().outcome())
                .isEqualTo(new Outcome.FailedToStart("setup-failed", "no arrow named 'web'"));
        assertThat(node.stored(accepted.id())).isEqualTo(finished);
        awaitTrue(() -> node.invocations.queueDepth() == 0);
        busy.finish(200, 0, Optional.empty());
    }

    @Test
    void anAsyncInvocationANodeCannotRunFailsAndGivesBackItsPendingPlace() throws Exception {
        var settings = new DispatchSettings(4, 2, 4, WarmCallTest.FLEET_WAIT, 1, 1024, WarmCallTest.SETTINGS.output(),
                Duration.ofSeconds(10));
        TestNode node = TestNode.withoutWarmInstances(settings);
        nodes.add(node);
        node.invocations.start();
        node.deploy(WarmCallTest.web());

        InvocationRecord accepted = node.invocations.submit("web", new byte[0]);

        InvocationRecord finished = node.listener.finished(accepted.id());
        assertThat(finished.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(finished.execution().orElseThrow().outcome())
                .isEqualTo(new Outcome.FailedToStart("setup-failed", "this node does not run http-mode arrows"));
        InvocationRecord next = node.submitWhenThereIsRoom("web", new byte[0]); // at most one pending: it left
        assertThat(node.listener.finished(next.id()).status()).isEqualTo(InvocationStatus.FAILED);
    }

    @Test
    void aNodeWithoutWarmInstancesRefusesHttpModeInvocations() {
        TestNode node = TestNode.withoutWarmInstances(WarmCallTest.SETTINGS);
        nodes.add(node);
        node.invocations.start();
        node.deploy(WarmCallTest.web());

        assertThatThrownBy(() -> node.invocations.invoke("web", new byte[0]))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("mode"));
        assertThat(node.invocations.tryOpenHttp("web")).isEmpty();
    }
}
