package dev.arrow.platform.invocations;

import static dev.arrow.platform.invocations.Eventually.awaitTrue;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.IdempotencyConflictException;
import dev.arrow.platform.IdempotencyConflictException.Conflict;
import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.Idempotent;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.invocations.FakeSandboxes.Exec;
import dev.arrow.platform.invocations.FakeSandboxes.ExecSandbox;
import dev.arrow.runtime.OutputPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Invocations under an idempotency key: at most once per key, the first one's result again for a retry. */
@Timeout(10)
class IdempotentInvocationTest {

    private static final DispatchSettings SETTINGS = new DispatchSettings(4, 2, 4, Duration.ofSeconds(10), 100, 1024,
            new OutputPolicy(64, 1024, 16), Duration.ofSeconds(10));

    private final List<TestNode> nodes = new ArrayList<>();

    @AfterEach
    void closeNodes() {
        nodes.forEach(TestNode::close);
    }

    private TestNode started() {
        TestNode node = TestNode.withoutWarmInstances(SETTINGS);
        nodes.add(node);
        node.invocations.start();
        node.deploy(ArrowSpec.exec("hello", List.of("/usr/bin/hello")));
        return node;
    }

    private static Optional<IdempotencyKey> key(String key, String input) {
        return Optional.of(IdempotencyKey.of(key, "hello", input.getBytes(UTF_8)));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }

    @Test
    void aRetriedSyncInvocationIsAnsweredFromTheFirstOneWithoutRunningAgain() throws Exception {
        TestNode node = started();
        node.sandboxes.script(Exec.exits(3, "partial out", "it broke\n"));

        Idempotent<CompletedInvocation> first = node.invocations.invoke("hello", bytes("in"), key("k", "in"));
        Idempotent<CompletedInvocation> again = node.invocations.invoke("hello", bytes("in"), key("k", "in"));

        assertThat(first.replayed()).isFalse();
        assertThat(again.replayed()).isTrue();
        assertThat(again.result().record()).isEqualTo(first.result().record());
        assertThat(again.result().output()).isEqualTo(first.result().output());
        assertThat(again.result().stderrTail()).isEqualTo("it broke\n").isEqualTo(first.result().stderrTail());
        assertThat(node.sandboxes.specs()).as("one run").hasSize(1);
        assertThat(node.store.writes()).containsExactly("claim " + first.result().record().id(),
                "finish " + first.result().record().id());
    }

    @Test
    void theSameKeyWithAnotherInputIsRefusedAsReused() throws Exception {
        TestNode node = started();
        node.invocations.invoke("hello", bytes("in"), key("k", "in"));

        assertThatThrownBy(() -> node.invocations.invoke("hello", bytes("other"), key("k", "other")))
                .isInstanceOfSatisfying(IdempotencyConflictException.class,
                        e -> assertThat(e.conflict()).isEqualTo(Conflict.REUSED))
                .hasMessageContaining("Idempotency-Key 'k'");
        assertThatThrownBy(() -> node.invocations.submit("hello", bytes("other"), key("k", "other")))
                .isInstanceOfSatisfying(IdempotencyConflictException.class,
                        e -> assertThat(e.conflict()).isEqualTo(Conflict.REUSED));
        assertThat(node.sandboxes.specs()).hasSize(1);
        assertThat(node.invocations.queueDepth()).isZero();
    }

    @Test
    void aRetryWhileTheFirstSyncInvocationRunsIsInFlight() throws Exception {
        TestNode node = started();
        node.sandboxes.script(Exec.exits(0, "done", "").holding());
        var first = new CompletableFuture<Idempotent<CompletedInvocation>>();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                first.complete(node.invocations.invoke("hello", bytes("in"), key("k", "in")));
            } catch (Throwable e) {
                first.completeExceptionally(e);
            }
        });
        ExecSandbox running = node.sandboxes.nextExec();

        assertThatThrownBy(() -> node.invocations.invoke("hello", bytes("in"), key("k", "in")))
                .isInstanceOfSatisfying(IdempotencyConflictException.class,
                        e -> assertThat(e.conflict()).isEqualTo(Conflict.IN_FLIGHT));
        assertThatThrownBy(() -> node.invocations.submit("hello", bytes("in"), key("k", "in")))
                .isInstanceOfSatisfying(IdempotencyConflictException.class,
                        e -> assertThat(e.conflict()).isEqualTo(Conflict.IN_FLIGHT));

        running.release();
        String id = first.get(5, TimeUnit.SECONDS).result().record().id();
        caller.join();
        Idempotent<CompletedInvocation> again = node.invocations.invoke("hello", bytes("in"), key("k", "in"));
        assertThat(again.replayed()).isTrue();
        assertThat(again.result().record().id()).isEqualTo(id);
        assertThat(new String(again.result().output(), UTF_8)).isEqualTo("done");
    }

    @Test
    void aSyncKeyWhoseInvocationWasRefusedBeforeItRanIsTakenOverByTheRetry() throws Exception {
        TestNode node = TestNode.withoutWarmInstances(new DispatchSettings(1, 1, 0, Duration.ofSeconds(10), 100, 1024,
                new OutputPolicy(64, 1024, 16), Duration.ofSeconds(10)));
        nodes.add(node);
        node.invocations.start();
        node.deploy(ArrowSpec.exec("hello", List.of("/usr/bin/hello")));
        node.sandboxes.script(Exec.exits(0, "busy", "").holding());
        Thread other = Thread.ofVirtual().start(() -> {
            try {
                node.invocations.invoke("hello", new byte[0]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ExecSandbox busy = node.sandboxes.nextExec();

        assertThatThrownBy(() -> node.invocations.invoke("hello", bytes("in"), key("k", "in")))
                .isInstanceOf(OverloadedException.class);
        busy.release();
        other.join();
        node.sandboxes.script(Exec.exits(0, "ran", ""));

        Idempotent<CompletedInvocation> retry = node.invocations.invoke("hello", bytes("in"), key("k", "in"));
        assertThat(retry.replayed()).isFalse();
        assertThat(new String(retry.result().output(), UTF_8)).isEqualTo("ran");
    }

    @Test
    void aSyncKeyCutShortByAStoppedNodeIsTakenOverAfterTheRestart() throws Exception {
        TestNode node = started();
        IdempotencyKey key = key("k", "in").orElseThrow();
        // What a run of the node that died mid-invocation leaves: the key, no record.
        String lost = new InvocationIds(node.clock).next();
        node.store.claim("hello", key, lost, node.clock.instant(), Optional.empty());
        TestNode next = node.restart();
        nodes.add(next);
        next.invocations.start();

        Idempotent<CompletedInvocation> retry = next.invocations.invoke("hello", bytes("in"), Optional.of(key));

        assertThat(retry.replayed()).isFalse();
        assertThat(retry.result().record().id()).isNotEqualTo(lost);
        assertThat(next.invocations.invoke("hello", bytes("in"), Optional.of(key)).result().record().id())
                .isEqualTo(retry.result().record().id());
    }

    @Test
    void aRetriedAsyncSubmitGetsTheSameInvocationWhichRunsOnce() throws Exception {
        TestNode node = started();
        node.sandboxes.script(Exec.exits(0, "async out", "").holding());

        Idempotent<InvocationRecord> first = node.invocations.submit("hello", bytes("in"), key("k", "in"));
        ExecSandbox running = node.sandboxes.nextExec();
        Idempotent<InvocationRecord> whileRunning = node.invocations.submit("hello", bytes("in"), key("k", "in"));
        running.release();
        awaitTrue(() -> node.stored(first.result().id()).status().finished());
        Idempotent<InvocationRecord> afterwards = node.invocations.submit("hello", bytes("in"), key("k", "in"));

        assertThat(first.replayed()).isFalse();
        assertThat(whileRunning.replayed()).isTrue();
        assertThat(whileRunning.result().id()).isEqualTo(first.result().id());
        assertThat(afterwards.replayed()).isTrue();
        assertThat(afterwards.result().id()).isEqualTo(first.result().id());
        assertThat(afterwards.result().status()).isEqualTo(InvocationStatus.SUCCEEDED);
        assertThat(node.sandboxes.specs()).hasSize(1);
        assertThat(node.store.writes()).filteredOn(write -> write.startsWith("accept")).hasSize(1);
        awaitTrue(() -> node.invocations.queueDepth() == 0);

        Idempotent<CompletedInvocation> sync = node.invocations.invoke("hello", bytes("in"), key("k", "in"));
        assertThat(sync.replayed()).as("a sync retry of a finished async one: its result").isTrue();
        assertThat(new String(sync.result().output(), UTF_8)).isEqualTo("async out");
    }

    @Test
    void keysAreScopedToTheArrow() throws Exception {
        TestNode node = started();
        node.deploy(ArrowSpec.exec("other", List.of("/usr/bin/other")));
        IdempotencyKey hello = IdempotencyKey.of("k", "hello", new byte[0]);
        IdempotencyKey other = IdempotencyKey.of("k", "other", new byte[0]);

        assertThat(node.invocations.invoke("hello", new byte[0], Optional.of(hello)).replayed()).isFalse();
        assertThat(node.invocations.invoke("other", new byte[0], Optional.of(other)).replayed()).isFalse();
        assertThat(node.sandboxes.specs()).hasSize(2);
    }

    @Test
    void aKeyIsFreeAgainAfter24HoursAndSweptByTheNextKeyedRequest() throws Exception {
        TestNode node = started();
        Idempotent<CompletedInvocation> first = node.invocations.invoke("hello", bytes("in"), key("old", "in"));
        node.invocations.invoke("hello", bytes("in"), key("newer", "in"));
        assertThat(node.store.keys()).containsExactlyInAnyOrder("hello old", "hello newer");

        node.clock.advance(Duration.ofHours(24).plusSeconds(1));
        Idempotent<CompletedInvocation> later = node.invocations.invoke("hello", bytes("other"), key("old", "other"));

        assertThat(later.replayed()).as("not refused as reused: the key had expired").isFalse();
        assertThat(later.result().record().id()).isNotEqualTo(first.result().record().id());
        assertThat(node.sandboxes.specs()).hasSize(3);
        assertThat(node.store.keys()).as("the sweep deleted the expired 'newer'; 'old' is the new use")
                .containsExactly("hello old");
    }
}
