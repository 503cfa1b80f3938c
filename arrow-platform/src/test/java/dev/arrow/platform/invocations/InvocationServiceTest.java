package dev.arrow.platform.invocations;

import static dev.arrow.platform.invocations.Eventually.awaitTrue;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.arrows.ArrowLimits;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.bundles.ArchiveFormat;
import dev.arrow.platform.invocations.FakeSandboxes.Exec;
import dev.arrow.platform.invocations.FakeSandboxes.ExecSandbox;
import dev.arrow.runtime.OutputPolicy;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxSpec;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Exec-mode invocations, sync and async, through the service as a node wires it. */
@Timeout(10)
class InvocationServiceTest {

    private static final OutputPolicy OUTPUT = new OutputPolicy(64, 1024, 16);
    private static final Duration MAX_WAIT = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final DispatchSettings SETTINGS = settings(4, 2, 4, 100);

    private final List<TestNode> nodes = new ArrayList<>();
    private final List<Thread> callers = new ArrayList<>();

    @AfterEach
    void closeNodes() throws InterruptedException {
        nodes.forEach(TestNode::close);
        for (Thread caller : callers) {
            caller.join(FakeSandboxes.PATIENCE);
        }
    }

    private static DispatchSettings settings(int concurrent, int async, int waiting, int pending) {
        return new DispatchSettings(concurrent, async, waiting, MAX_WAIT, pending, 1024, OUTPUT, GRACE);
    }

    private TestNode node(DispatchSettings settings) {
        TestNode node = TestNode.withoutWarmInstances(settings);
        nodes.add(node);
        return node;
    }

    private TestNode started(DispatchSettings settings) {
        TestNode node = node(settings);
        node.invocations.start();
        return node;
    }

    private static ArrowSpec hello() {
        return ArrowSpec.exec("hello", List.of("/usr/bin/hello", "--loud"));
    }

    // sync

    @Test
    void aVmArrowNeverRunsInTheProcessTierAndItsRecordSaysVm() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello().withIsolation(Isolation.VM));

        CompletedInvocation noTier = node.invocations.invoke("hello", new byte[0]);
        node.invocations.giveVmTier(new VmTier(Optional::empty, () -> {
            throw new SandboxException("qemu vanished");
        }, OUTPUT));
        CompletedInvocation brokenTier = node.invocations.invoke("hello", new byte[0]);

        assertThat(noTier.execution().outcome()).isEqualTo(new Outcome.FailedToStart("setup-failed",
                "this node has no VM tier"));
        assertThat(brokenTier.execution().outcome()).isEqualTo(new Outcome.FailedToStart("setup-failed", "qemu vanished"));
        for (CompletedInvocation done : List.of(noTier, brokenTier)) {
            assertThat(done.execution().isolation()).isEqualTo(Isolation.VM);
            assertThat(done.execution().accelerator()).isEmpty();
            assertThat(node.store.find(done.record().id()).orElseThrow().execution().orElseThrow().isolation())
                    .isEqualTo(Isolation.VM);
        }
        assertThat(node.sandboxes.specs()).isEmpty();
    }

    @Test
    void aProcessArrowsRecordSaysProcess() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", ""));

        CompletedInvocation done = node.invocations.invoke("hello", new byte[0]);

        assertThat(done.execution().isolation()).isEqualTo(Isolation.PROCESS);
        assertThat(done.execution().accelerator()).isEmpty();
        assertThat(node.sandboxes.specs()).hasSize(1);
    }

    @Test
    void aSyncInvocationRunsTheTrafficRevisionAndKeepsItsRecord() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello().withEnv(Map.of("GREETING", "hi", "ARROW_NAME", "not-me")));
        node.sandboxes.script(Exec.exits(0, "hello out", "a log line\n"));
        node.clock.advance(Duration.ofMinutes(3));
        Instant now = node.clock.instant();

        CompletedInvocation done = node.invocations.invoke("hello", "the input".getBytes(UTF_8));

        InvocationRecord record = done.record();
        assertThat(InvocationIds.isWellFormed(record.id())).isTrue();
        assertThat(record.arrow()).isEqualTo("hello");
        assertThat(record.revision()).isEqualTo(1);
        assertThat(record.trigger()).isEqualTo(Trigger.SYNC);
        assertThat(record.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(record.acceptedAt()).isEqualTo(now);
        assertThat(record.startedAt()).contains(now);
        assertThat(record.attempts()).isEqualTo(1);
        Execution run = done.execution();
        assertThat(run.startedAt()).isEqualTo(now);
        assertThat(run.cold()).isTrue();
        assertThat(run.initTime()).isEqualTo(Exec.SETUP);
        assertThat(run.duration()).isEqualTo(Exec.WALL);
        assertThat(run.outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.error().map(RunError::message)).isEmpty();
        assertThat(run.cpuUser()).isEqualTo(Duration.ofMillis(5));
        assertThat(run.cpuSystem()).isEqualTo(Duration.ofMillis(3));
        assertThat(run.peakMemoryBytes()).isEqualTo(Exec.PEAK);
        assertThat(run.memoryLimitBytes()).isEqualTo(128L << 20);
        assertThat(run.billed()).isEqualTo(Duration.ofMillis(40));
        assertThat(run.gbSeconds()).isCloseTo(0.125 * 0.040, within(1e-12));
        assertThat(run.outputBytes()).isEqualTo(9);
        assertThat(run.logBytes()).isEqualTo(11);
        assertThat(run.logTruncated()).isFalse();
        assertThat(run.instance()).isEmpty();
        assertThat(new String(done.output(), UTF_8)).isEqualTo("hello out");
        assertThat(done.stderrTail()).isEqualTo("a log line\n");

        assertThat(node.stored(record.id())).isEqualTo(record);
        assertThat(node.store.writes()).as("a sync invocation is written once, at its end")
                .containsExactly("finish " + record.id());
        assertThat(new String(node.invocations.output(record.id()), UTF_8)).isEqualTo("hello out");
        assertThat(node.invocations.log(record.id())).isEqualTo("a log line\n");
        assertThat(node.listener.events()).containsExactly("sandbox exited", "finished " + record.id());

        ExecSandbox sandbox = node.sandboxes.nextExec();
        assertThat(sandbox.input()).isEqualTo("the input");
        SandboxSpec spec = sandbox.spec();
        assertThat(spec.argv()).containsExactly("/usr/bin/hello", "--loud");
        assertThat(spec.env())
                .containsEntry("GREETING", "hi")
                .containsEntry("ARROW_NAME", "hello")
                .containsEntry("ARROW_REVISION", "1")
                .containsEntry("ARROW_MEMORY_LIMIT_BYTES", Long.toString(128L << 20))
                .containsEntry("ARROW_INVOCATION_ID", record.id());
        assertThat(spec.limits().wallTime()).contains(ArrowLimits.DEFAULT.timeout());
        assertThat(spec.limits().memoryBytes()).hasValue(128L << 20);
        assertThat(spec.mounts()).isEmpty();
    }

    @Test
    void aDeliveryGivesAnExecSandboxItsEnvironmentButNotThePlatformsVariables() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "{}", ""));

        CompletedInvocation done = node.invocations.deliver("hello", Trigger.FLOW, Map.of(),
                Map.of("ARROW_IDEMPOTENCY_KEY", "run:/do/0/a:1", "ARROW_NAME", "not-me"), "{}".getBytes(UTF_8));

        assertThat(done.record().trigger()).isEqualTo(Trigger.FLOW);
        assertThat(node.sandboxes.nextExec().spec().env())
                .containsEntry("ARROW_IDEMPOTENCY_KEY", "run:/do/0/a:1")
                .containsEntry("ARROW_NAME", "hello");
    }

    @Test
    void invocationsGoToTheRevisionWithTrafficReadOnceFromTheStore() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(ArrowSpec.exec("hello", List.of("/bin/one")));
        node.deploy(ArrowSpec.exec("hello", List.of("/bin/two")));

        assertThat(node.invocations.invoke("hello", new byte[0]).record().revision()).isEqualTo(2);
        int reads = node.arrowStore.summaryReads();
        node.invocations.invoke("hello", new byte[0]);
        assertThat(node.arrowStore.summaryReads()).as("the traffic revision is kept in memory").isEqualTo(reads);

        node.arrows.rollback("hello", Optional.of(1));
        node.invocations.arrowChanged("hello");
        CompletedInvocation rolledBack = node.invocations.invoke("hello", new byte[0]);

        assertThat(rolledBack.record().revision()).isEqualTo(1);
        assertThat(node.sandboxes.specs()).extracting(spec -> spec.argv().getFirst())
                .containsExactly("/bin/two", "/bin/two", "/bin/one");
    }

    static Stream<Outcome> failedOutcomes() {
        return Stream.of(new Outcome.Exited(3), new Outcome.Signaled(11), new Outcome.OutOfMemory(),
                new Outcome.TimedOut(), new Outcome.PidsExhausted(),
                new Outcome.FailedToStart("command-not-found", "no /usr/bin/hello"));
    }

    @ParameterizedTest
    @MethodSource("failedOutcomes")
    void anyOutcomeButACleanExitFailsTheInvocation(Outcome outcome) throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.sandboxes.script(Exec.ends(outcome, "partial", "it broke"));

        CompletedInvocation done = node.invocations.invoke("hello", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().outcome()).isEqualTo(outcome);
        assertThat(done.execution().error().map(RunError::message)).isEmpty();
        assertThat(done.stderrTail()).isEqualTo("it broke");
        assertThat(node.stored(done.record().id()).status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(node.listener.events()).containsExactly("sandbox " + outcome.name(), "finished " + done.record().id());
    }

    @Test
    void theArrowsTimeoutIsItsSandboxsWallTimeAndATimeoutFails() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello().withLimits(ArrowLimits.DEFAULT.withTimeout(Duration.ofMillis(1500))));
        node.sandboxes.script(Exec.ends(new Outcome.TimedOut(), "", ""));

        CompletedInvocation done = node.invocations.invoke("hello", new byte[0]);

        assertThat(node.sandboxes.nextExec().spec().limits().wallTime()).contains(Duration.ofMillis(1500));
        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().outcome()).isEqualTo(new Outcome.TimedOut());
    }

    @Test
    void anOutputOverTheLimitFailsTheInvocationAndIsNotKept() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "x".repeat(65), ""));

        CompletedInvocation done = node.invocations.invoke("hello", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().error().map(RunError::message)).contains("the output is larger than 64 bytes");
        assertThat(done.execution().outputBytes()).isEqualTo(65);
        assertThat(done.output()).isEmpty();
        assertThat(node.invocations.output(done.record().id())).isEmpty();
        assertThat(node.sandboxes.nextExec().killed()).as("stopped at the limit").isTrue();
    }

    @Test
    void aSandboxThatCannotBeStartedFailsTheInvocationWithItsReason() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.clock.advance(Duration.ofSeconds(5));
        node.sandboxes.refuse(new SandboxException("the sandbox helper is missing"));

        CompletedInvocation done = node.invocations.invoke("hello", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().outcome())
                .isEqualTo(new Outcome.FailedToStart("setup-failed", "the sandbox helper is missing"));
        assertThat(done.execution().startedAt()).isEqualTo(node.clock.instant());
        assertThat(done.execution().duration()).isZero();
        assertThat(node.stored(done.record().id())).isEqualTo(done.record());
        assertThat(node.listener.events()).containsExactly("finished " + done.record().id());
    }

    @Test
    void theCodeBundleIsMountedAtCodeAndAMissingOneFailsWithoutASandbox() throws Exception {
        TestNode node = started(SETTINGS);
        String digest = node.bundles.put(new ByteArrayInputStream("code".getBytes(UTF_8)), ArchiveFormat.ZIP).digest();
        node.deploy(hello().withBundle(digest));

        node.invocations.invoke("hello", new byte[0]);
        SandboxSpec spec = node.sandboxes.nextExec().spec();
        assertThat(spec.mounts()).containsExactly(Mount.readOnly(Path.of("/bundles", digest.substring(7)), "/code"));
        assertThat(spec.workdir()).isEqualTo("/code");

        node.bundles.forget(digest);
        CompletedInvocation done = node.invocations.invoke("hello", new byte[0]);

        assertThat(done.record().status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(done.execution().outcome()).isEqualTo(new Outcome.FailedToStart("setup-failed",
                "the code bundle " + digest + " is missing from this node"));
        assertThat(node.sandboxes.specs()).hasSize(1);
    }

    @Test
    void requestsForNoArrowOrWithTooMuchInputAreRefusedAndLeaveNothing() {
        TestNode node = started(SETTINGS);
        node.deploy(hello());

        assertThatThrownBy(() -> node.invocations.invoke("nobody", new byte[0]))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.name()).isEqualTo("nobody"));
        assertThatThrownBy(() -> node.invocations.invoke("Not_A_Name", new byte[0]))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("name"));
        assertThatThrownBy(() -> node.invocations.invoke("hello", new byte[1025]))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("body"));
        assertThatThrownBy(() -> node.invocations.submit("hello", new byte[1025]))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> node.invocations.submit("nobody", new byte[0])).isInstanceOf(NotFoundException.class);

        assertThat(node.store.writes()).isEmpty();
        assertThat(node.sandboxes.specs()).isEmpty();
        assertThat(node.invocations.queueDepth()).isZero();
    }

    @Test
    void aSyncInvocationBeyondTheQueueIsRefusedRatherThanPiledUp() throws Exception {
        TestNode node = started(settings(1, 1, 0, 100));
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "first", "").holding());
        CompletableFuture<CompletedInvocation> first = invokeInThread(node, "hello");
        ExecSandbox running = node.sandboxes.nextExec();

        assertThatThrownBy(() -> node.invocations.invoke("hello", new byte[0]))
                .isInstanceOfSatisfying(OverloadedException.class,
                        e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1)));
        assertThat(node.invocations.running()).isEqualTo(1);
        assertThat(node.invocations.queueDepth()).isZero();

        running.release();
        assertThat(first.get(5, TimeUnit.SECONDS).record().status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(node.store.writes()).hasSize(1);
        assertThat(node.invocations.running()).isZero();
    }

    @Test
    void aSyncInvocationWaitsForCapacityAtMostMaxWait() throws Exception {
        TestNode node = started(settings(1, 1, 1, 100));
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", "").holding());
        invokeInThread(node, "hello");
        ExecSandbox running = node.sandboxes.nextExec();

        CompletableFuture<CompletedInvocation> admitted = invokeInThread(node, "hello");
        awaitTrue(() -> node.invocations.queueDepth() == 1);
        node.clock.advance(MAX_WAIT.minusMillis(1));
        running.release();
        node.sandboxes.nextExec().release();
        assertThat(admitted.get(5, TimeUnit.SECONDS).record().status()).isEqualTo(InvocationStatus.SUCCEEDED);

        invokeInThread(node, "hello");
        ExecSandbox again = node.sandboxes.nextExec();
        CompletableFuture<CompletedInvocation> refused = invokeInThread(node, "hello");
        awaitTrue(() -> node.invocations.queueDepth() == 1 && node.clock.waiting() == 1);
        node.clock.advance(MAX_WAIT);

        assertThatThrownBy(() -> refused.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOf(OverloadedException.class).hasMessageContaining("the node is at capacity");
        assertThat(node.invocations.queueDepth()).isZero();
        again.release();
    }

    // async

    @Test
    void anAsyncInvocationIsStoredBeforeItIsAcceptedAndRunsWithItsInput() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "async out", "").holding());
        node.clock.advance(Duration.ofSeconds(30));
        Instant acceptedAt = node.clock.instant();

        InvocationRecord accepted = node.invocations.submit("hello", "async input".getBytes(UTF_8));

        assertThat(accepted.status()).isEqualTo(InvocationStatus.QUEUED);
        assertThat(accepted.trigger()).isEqualTo(Trigger.ASYNC);
        assertThat(accepted.acceptedAt()).isEqualTo(acceptedAt);
        assertThat(accepted.attempts()).isZero();
        String id = accepted.id();
        assertThat(node.store.find(id)).as("stored when submit returns").isPresent();
        assertThat(node.store.writes().getFirst()).isEqualTo("accept " + id);

        ExecSandbox sandbox = node.sandboxes.nextExec();
        assertThat(sandbox.spec().env()).containsEntry("ARROW_INVOCATION_ID", id);
        InvocationRecord running = node.stored(id);
        assertThat(running.status()).isEqualTo(InvocationStatus.RUNNING);
        assertThat(running.attempts()).isEqualTo(1);
        assertThat(running.startedAt()).contains(acceptedAt);
        assertThatThrownBy(() -> node.invocations.output(id)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("has not finished: it is running");
        assertThat(node.invocations.log(id)).isEmpty();

        node.clock.advance(Duration.ofSeconds(2));
        sandbox.release();
        InvocationRecord finished = node.listener.nextFinished();

        assertThat(finished.id()).isEqualTo(id);
        assertThat(finished.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(finished.trigger()).isEqualTo(Trigger.ASYNC);
        assertThat(finished.attempts()).isEqualTo(1);
        assertThat(finished.acceptedAt()).isEqualTo(acceptedAt);
        assertThat(finished.execution().orElseThrow().startedAt()).isEqualTo(acceptedAt);
        assertThat(node.stored(id)).isEqualTo(finished);
        assertThat(sandbox.input()).isEqualTo("async input");
        assertThat(node.store.writes()).containsExactly("accept " + id, "start " + id, "finish " + id);
        assertThat(new String(node.invocations.output(id), UTF_8)).isEqualTo("async out");
        assertThat(node.store.input(id)).as("the input is dropped at the end").isEmpty();
        awaitTrue(() -> node.invocations.queueDepth() == 0); // given back once its thread ends
    }

    @Test
    void anInvocationThatCouldNotBeStoredIsNotAcceptedNorCounted() throws Exception {
        TestNode node = started(settings(4, 2, 4, 1));
        node.deploy(hello());
        node.store.failNextAccept(new IllegalStateException("the disk is full"));

        assertThatThrownBy(() -> node.invocations.submit("hello", new byte[0])).hasMessage("the disk is full");
        assertThat(node.invocations.queueDepth()).isZero();

        InvocationRecord accepted = node.invocations.submit("hello", new byte[0]);
        assertThat(node.listener.nextFinished().id()).isEqualTo(accepted.id());
        assertThat(node.sandboxes.specs()).hasSize(1);
    }

    @Test
    void pendingAsyncInvocationsAreBounded() throws Exception {
        TestNode node = started(settings(4, 2, 4, 2));
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", "").holding());
        node.invocations.submit("hello", new byte[0]);
        node.invocations.submit("hello", new byte[0]);

        assertThatThrownBy(() -> node.invocations.submit("hello", new byte[0]))
                .isInstanceOfSatisfying(OverloadedException.class,
                        e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(5)))
                .hasMessageContaining("too many async invocations are pending");
        assertThat(node.store.countUnfinished()).isEqualTo(2);

        node.sandboxes.nextExec().release();
        node.listener.nextFinished();
        node.submitWhenThereIsRoom("hello", new byte[0]);
        assertThat(node.store.countUnfinished()).isEqualTo(2);
    }

    @Test
    void anAsyncInvocationWaitsForCapacityAndRunsWhenItFrees() throws Exception {
        TestNode node = started(settings(1, 1, 4, 100));
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", "").holding());
        CompletableFuture<CompletedInvocation> sync = invokeInThread(node, "hello");
        ExecSandbox syncSandbox = node.sandboxes.nextExec();

        InvocationRecord accepted = node.invocations.submit("hello", new byte[0]);
        node.clock.advance(Duration.ofSeconds(3));

        assertThat(node.stored(accepted.id()).status()).isEqualTo(InvocationStatus.QUEUED);
        assertThat(node.invocations.queueDepth()).isEqualTo(1);
        assertThat(node.invocations.running()).isEqualTo(1);

        syncSandbox.release();
        sync.get(5, TimeUnit.SECONDS);
        ExecSandbox asyncSandbox = node.sandboxes.nextExec();
        assertThat(node.stored(accepted.id()).startedAt()).contains(accepted.acceptedAt().plusSeconds(3));
        asyncSandbox.release();

        InvocationRecord finished = node.listener.finished(accepted.id());
        assertThat(finished.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        awaitTrue(() -> node.invocations.queueDepth() == 0); // given back once its thread ends
        awaitTrue(() -> node.invocations.running() == 0);
    }

    @Test
    void anAsyncInvocationOfAnArrowDeletedWhileItWaitedForCapacityFails() throws Exception {
        TestNode node = started(settings(1, 1, 4, 100));
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", "").holding());
        CompletableFuture<CompletedInvocation> sync = invokeInThread(node, "hello");
        ExecSandbox syncSandbox = node.sandboxes.nextExec();
        int reads = node.arrowStore.revisionReads();
        InvocationRecord accepted = node.invocations.submit("hello", new byte[0]);
        awaitTrue(() -> node.arrowStore.revisionReads() > reads); // it knows its revision, and waits for capacity

        node.arrowStore.delete("hello");
        node.invocations.arrowChanged("hello");
        syncSandbox.release();
        sync.get(5, TimeUnit.SECONDS);

        InvocationRecord finished = node.listener.finished(accepted.id());
        assertThat(finished.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(finished.execution().orElseThrow().outcome()).isEqualTo(new Outcome.FailedToStart("setup-failed",
                "the arrow or its revision 1 was deleted before the invocation ran"));
        assertThat(node.sandboxes.specs()).hasSize(1);
        awaitTrue(() -> node.invocations.queueDepth() == 0); // given back once its thread ends
    }

    // a node's shutdown and its next start

    @Test
    void anInvocationSubmittedBeforeStartRunsOnce() throws Exception {
        TestNode node = node(SETTINGS); // a node's API listens before it resumes what its previous run left
        node.deploy(hello());
        var starts = new AtomicInteger();
        node.sandboxes.script(spec -> starts.getAndIncrement() == 0 ? Exec.exits(0, "", "").holding()
                : Exec.exits(0, "", ""));
        InvocationRecord accepted = node.invocations.submit("hello", new byte[0]);
        ExecSandbox running = node.sandboxes.nextExec();

        node.invocations.start();
        running.release();
        node.listener.finished(accepted.id());
        node.invocations.close(); // waits for every async thread: time does not pass

        String id = accepted.id();
        assertThat(node.store.writes()).containsExactly("accept " + id, "start " + id, "finish " + id);
        assertThat(node.sandboxes.specs()).hasSize(1);
        assertThat(node.listener.finished()).hasSize(1);
        assertThat(node.invocations.queueDepth()).isZero();
    }

    @Test
    void startRunsTheAsyncInvocationsACrashedRunLeftAndCountsTheirAttempts() throws Exception {
        TestNode crashed = node(SETTINGS);
        crashed.deploy(hello());
        var ids = new InvocationIds(crashed.clock);
        Instant then = crashed.clock.instant();
        InvocationRecord queued = InvocationRecord.accepted(ids.next(), "hello", 1, Trigger.ASYNC, then);
        crashed.store.accept(queued, "never started".getBytes(UTF_8));
        InvocationRecord interrupted = InvocationRecord.accepted(ids.next(), "hello", 1, Trigger.ASYNC, then);
        crashed.store.accept(interrupted, "cut short".getBytes(UTF_8));
        crashed.store.start(interrupted.started(then));

        TestNode next = crashed.restart();
        nodes.add(next);
        next.clock.advance(Duration.ofMinutes(1));
        next.invocations.start();

        var finished = List.of(next.listener.nextFinished(), next.listener.nextFinished());
        assertThat(finished).allSatisfy(record -> {
            assertThat(record.status()).isEqualTo(InvocationStatus.SUCCEEDED);
            assertThat(record.acceptedAt()).isEqualTo(then);
            assertThat(record.startedAt()).contains(then.plus(Duration.ofMinutes(1)));
        });
        assertThat(next.stored(queued.id()).attempts()).isEqualTo(1);
        assertThat(next.stored(interrupted.id()).attempts()).isEqualTo(2);
        assertThat(List.of(next.sandboxes.nextExec().input(), next.sandboxes.nextExec().input()))
                .containsExactlyInAnyOrder("never started", "cut short");
        assertThat(next.store.countUnfinished()).isZero();
        awaitTrue(() -> next.invocations.queueDepth() == 0); // given back once its thread ends
    }

    @Test
    void aShutdownLetsRunningInvocationsFinishWithinTheGrace() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", "").holding());
        InvocationRecord accepted = node.invocations.submit("hello", new byte[0]);
        ExecSandbox sandbox = node.sandboxes.nextExec();

        Thread shutdown = Thread.ofVirtual().name("shutdown").start(node.invocations::close);
        awaitTrue(() -> node.clock.waiting() == 1);
        assertThatThrownBy(() -> node.invocations.submit("hello", new byte[0]))
                .isInstanceOf(OverloadedException.class).hasMessageContaining("shutting down");
        node.clock.advance(GRACE.minusMillis(1));
        sandbox.release();

        assertThat(shutdown.join(FakeSandboxes.PATIENCE)).isTrue();
        assertThat(sandbox.killed()).isFalse();
        assertThat(node.stored(accepted.id()).status()).isEqualTo(InvocationStatus.SUCCEEDED);
    }

    @Test
    void aShutdownInterruptsWhatRunsPastTheGraceAndTheNextStartRunsItAgain() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", "").holding());
        InvocationRecord accepted = node.invocations.submit("hello", "again".getBytes(UTF_8));
        ExecSandbox sandbox = node.sandboxes.nextExec();

        Thread shutdown = Thread.ofVirtual().name("shutdown").start(node.invocations::close);
        awaitTrue(() -> node.clock.waiting() == 1);
        node.clock.advance(GRACE);

        assertThat(shutdown.join(FakeSandboxes.PATIENCE)).isTrue();
        awaitTrue(sandbox::killed);
        InvocationRecord left = node.stored(accepted.id());
        assertThat(left.status()).isEqualTo(InvocationStatus.RUNNING);
        assertThat(left.attempts()).isEqualTo(1);
        assertThat(node.listener.finished()).isEmpty();

        TestNode next = node.restart();
        nodes.add(next);
        next.invocations.start();

        InvocationRecord finished = next.listener.nextFinished();
        assertThat(finished.id()).isEqualTo(accepted.id());
        assertThat(finished.status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(finished.attempts()).isEqualTo(2);
        assertThat(next.sandboxes.nextExec().input()).isEqualTo("again");
    }

    @Test
    void aShutdownDropsAsyncInvocationsWaitingForCapacityAtOnceAndKeepsThemQueued() throws Exception {
        TestNode node = started(settings(1, 1, 4, 100));
        node.deploy(hello());
        node.sandboxes.script(Exec.exits(0, "", "").holding());
        CompletableFuture<CompletedInvocation> sync = invokeInThread(node, "hello");
        ExecSandbox syncSandbox = node.sandboxes.nextExec();
        InvocationRecord waiting = node.invocations.submit("hello", new byte[0]);

        node.invocations.close(); // no time passes: nothing it waits for has started

        InvocationRecord left = node.stored(waiting.id());
        assertThat(left.status()).isEqualTo(InvocationStatus.QUEUED);
        assertThat(left.attempts()).isZero();
        assertThatThrownBy(() -> node.invocations.invoke("hello", new byte[0]))
                .isInstanceOf(OverloadedException.class).hasMessageContaining("shutting down");
        syncSandbox.release();
        assertThat(sync.get(5, TimeUnit.SECONDS).record().status()).as("a sync invocation already running ends")
                .isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(node.sandboxes.specs()).hasSize(1);
    }

    // reading records

    @Test
    void recordsAreFoundByWellFormedIdsAndListedNewestFirst() throws Exception {
        TestNode node = started(SETTINGS);
        node.deploy(hello());
        node.deploy(ArrowSpec.exec("other", List.of("/bin/other")));
        String first = node.invocations.invoke("hello", new byte[0]).record().id();
        node.invocations.invoke("other", new byte[0]);
        String third = node.invocations.invoke("hello", new byte[0]).record().id();

        assertThat(node.invocations.get(first).id()).isEqualTo(first);
        assertThatThrownBy(() -> node.invocations.get("0".repeat(26))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> node.invocations.get("x".repeat(100)))
                .isInstanceOfSatisfying(NotFoundException.class,
                        e -> assertThat(e.name()).isEqualTo("x".repeat(40) + "..."));
        var hellos = new InvocationQuery(Optional.of("hello"), Optional.empty(), 10, Optional.empty());
        assertThat(node.invocations.list(hellos)).extracting(InvocationRecord::id).containsExactly(third, first);
        var beforeThird = new InvocationQuery(Optional.of("hello"), Optional.empty(), 10, Optional.of(third));
        assertThat(node.invocations.list(beforeThird)).extracting(InvocationRecord::id).containsExactly(first);
        assertThatThrownBy(() -> node.invocations.list(
                new InvocationQuery(Optional.of("Bad Name"), Optional.empty(), 10, Optional.empty())))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> node.invocations.list(
                new InvocationQuery(Optional.empty(), Optional.empty(), 10, Optional.of("not-an-id"))))
                .isInstanceOf(NotFoundException.class);
    }

    private CompletableFuture<CompletedInvocation> invokeInThread(TestNode node, String arrow) {
        var done = new CompletableFuture<CompletedInvocation>();
        callers.add(Thread.ofVirtual().name("caller-" + arrow).start(() -> {
            try {
                done.complete(node.invocations.invoke(arrow, new byte[0]));
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }));
        return done;
    }
}
