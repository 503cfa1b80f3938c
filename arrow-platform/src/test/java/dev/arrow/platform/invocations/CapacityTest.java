package dev.arrow.platform.invocations;

import static dev.arrow.platform.invocations.Eventually.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.OverloadedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CapacityTest {

    private static final Duration MAX_WAIT = Duration.ofSeconds(10);

    private final ManualClock clock = new ManualClock();
    private final List<Thread> waiters = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopWaiters() {
        waiters.forEach(Thread::interrupt);
    }

    @Test
    void admitsUpToTheNodeLimitAndRefusesTheNextWhenNothingMayWait() throws Exception {
        var capacity = new Capacity(2, 1, 0, MAX_WAIT, clock);

        Capacity.Lease first = capacity.acquireSync("a", 10);
        Capacity.Lease second = capacity.acquireSync("b", 10);

        assertThat(capacity.running()).isEqualTo(2);
        assertThatThrownBy(() -> capacity.acquireSync("c", 10))
                .isInstanceOfSatisfying(OverloadedException.class,
                        e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1)))
                .hasMessageContaining("too many invocations are waiting for capacity");
        assertThat(capacity.running()).isEqualTo(2);
        assertThat(capacity.waiting()).isZero();
        first.close();
        second.close();
    }

    @Test
    void aReleasedSlotAdmitsTheNextInvocation() throws Exception {
        var capacity = new Capacity(1, 1, 0, MAX_WAIT, clock);
        Capacity.Lease first = capacity.acquireSync("a", 10);

        first.close();

        assertThat(capacity.running()).isZero();
        try (Capacity.Lease next = capacity.acquireSync("a", 10)) {
            assertThat(capacity.running()).isEqualTo(1);
        }
        assertThat(capacity.running()).isZero();
    }

    @Test
    void anArrowAtItsMaxInstancesWaitsWhileOtherArrowsAreAdmitted() throws Exception {
        var capacity = new Capacity(4, 2, 4, MAX_WAIT, clock);
        Capacity.Lease held = capacity.acquireSync("a", 1);

        CompletableFuture<Capacity.Lease> second = acquireSync(capacity, "a", 1);
        awaitTrue(() -> capacity.waiting() == 1);
        try (Capacity.Lease other = capacity.acquireSync("b", 1)) {
            assertThat(capacity.running()).isEqualTo(2);
        }
        assertThat(second).isNotDone();

        held.close();

        second.get(5, TimeUnit.SECONDS).close();
        assertThat(capacity.waiting()).isZero();
        assertThat(capacity.running()).isZero();
    }

    @Test
    void aWaitingInvocationGetsTheSlotFreedBeforeItsMaxWait() throws Exception {
        var capacity = new Capacity(1, 1, 1, MAX_WAIT, clock);
        Capacity.Lease held = capacity.acquireSync("a", 10);
        CompletableFuture<Capacity.Lease> waiting = acquireSync(capacity, "b", 10);
        awaitTrue(() -> capacity.waiting() == 1);

        clock.advance(MAX_WAIT.minusMillis(1));
        held.close();

        Capacity.Lease admitted = waiting.get(5, TimeUnit.SECONDS);
        assertThat(capacity.running()).isEqualTo(1);
        assertThat(capacity.waiting()).isZero();
        admitted.close();
    }

    @Test
    void aWaitingInvocationIsRefusedOnceItsMaxWaitHasPassed() throws Exception {
        var capacity = new Capacity(1, 1, 1, MAX_WAIT, clock);
        Capacity.Lease held = capacity.acquireSync("a", 10);
        CompletableFuture<Capacity.Lease> waiting = acquireSync(capacity, "b", 10);
        awaitTrue(() -> capacity.waiting() == 1 && clock.waiting() == 1);

        clock.advance(MAX_WAIT.minusMillis(1));
        assertThatThrownBy(() -> waiting.get(20, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        clock.advance(Duration.ofMillis(1));

        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(OverloadedException.class).hasMessageContaining("the node is at capacity");
        assertThat(capacity.waiting()).isZero();
        assertThat(capacity.running()).isEqualTo(1);
        held.close();
        assertThat(capacity.running()).isZero();
    }

    @Test
    void theQueueIsBoundedAndTheOneTooManyIsRefusedAtOnce() throws Exception {
        var capacity = new Capacity(1, 1, 2, MAX_WAIT, clock);
        Capacity.Lease held = capacity.acquireSync("a", 10);
        CompletableFuture<Capacity.Lease> first = acquireSync(capacity, "b", 10);
        CompletableFuture<Capacity.Lease> second = acquireSync(capacity, "c", 10);
        awaitTrue(() -> capacity.waiting() == 2);

        assertThatThrownBy(() -> capacity.acquireSync("d", 10))
                .isInstanceOf(OverloadedException.class)
                .hasMessageContaining("too many invocations are waiting");

        assertThat(capacity.waiting()).isEqualTo(2);
        held.close();
        var next = (Capacity.Lease) CompletableFuture.anyOf(first, second).get(5, TimeUnit.SECONDS);
        CompletableFuture<Capacity.Lease> other = first.getNow(null) == next ? second : first;
        assertThat(other).as("one slot, one admitted").isNotDone();
        next.close();
        other.get(5, TimeUnit.SECONDS).close();
        assertThat(capacity.running()).isZero();
        assertThat(capacity.waiting()).isZero();
    }

    @Test
    void asyncInvocationsUseOnlyTheirShareAndLeaveTheRestToSyncOnes() throws Exception {
        var capacity = new Capacity(2, 1, 0, MAX_WAIT, clock);
        Capacity.Lease async = capacity.acquireAsync("a", 10);
        CompletableFuture<Capacity.Lease> secondAsync = acquireAsync(capacity, "b", 10);

        try (Capacity.Lease sync = capacity.acquireSync("c", 10)) {
            assertThat(capacity.running()).isEqualTo(2);
        }
        assertThat(secondAsync).isNotDone();
        assertThat(capacity.waiting()).as("async invocations wait outside the bounded sync queue").isZero();

        async.close();

        secondAsync.get(5, TimeUnit.SECONDS).close();
        assertThat(capacity.running()).isZero();
    }

    @Test
    void anAsyncInvocationWaitsBeyondTheSyncMaxWait() throws Exception {
        var capacity = new Capacity(1, 1, 0, MAX_WAIT, clock);
        Capacity.Lease held = capacity.acquireSync("a", 10);
        CompletableFuture<Capacity.Lease> async = acquireAsync(capacity, "b", 10);

        clock.advance(MAX_WAIT.multipliedBy(10));
        assertThatThrownBy(() -> async.get(20, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        held.close();

        async.get(5, TimeUnit.SECONDS).close();
    }

    @Test
    void anInterruptedWaiterGivesBackTheArrowSlotItHeld() throws Exception {
        var capacity = new Capacity(1, 1, 1, MAX_WAIT, clock);
        Capacity.Lease held = capacity.acquireSync("other", 10);
        CompletableFuture<Capacity.Lease> waiting = acquireSync(capacity, "a", 1); // has a's slot, waits for the node's
        awaitTrue(() -> capacity.waiting() == 1);

        waiters.getLast().interrupt();

        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(InterruptedException.class);
        assertThat(capacity.waiting()).isZero();
        held.close();
        try (Capacity.Lease again = capacity.acquireSync("a", 1)) {
            assertThat(capacity.running()).as("a's only slot is free again").isEqualTo(1);
        }
    }

    @Test
    void aNewMaxInstancesCountsAgainstFreshSlots() throws Exception {
        var capacity = new Capacity(4, 2, 0, MAX_WAIT, clock);
        Capacity.Lease before = capacity.acquireSync("a", 1);
        assertThatThrownBy(() -> capacity.acquireSync("a", 1)).isInstanceOf(OverloadedException.class);

        Capacity.Lease afterRedeploy = capacity.acquireSync("a", 2);
        Capacity.Lease another = capacity.acquireSync("a", 2);

        assertThat(capacity.running()).isEqualTo(3);
        assertThatThrownBy(() -> capacity.acquireSync("a", 2)).isInstanceOf(OverloadedException.class);
        before.close();
        afterRedeploy.close();
        another.close();
        assertThat(capacity.running()).isZero();
    }

    private CompletableFuture<Capacity.Lease> acquireSync(Capacity capacity, String arrow, int max) {
        return inThread(() -> capacity.acquireSync(arrow, max));
    }

    private CompletableFuture<Capacity.Lease> acquireAsync(Capacity capacity, String arrow, int max) {
        return inThread(() -> capacity.acquireAsync(arrow, max));
    }

    private interface Acquisition {
        Capacity.Lease acquire() throws InterruptedException;
    }

    private CompletableFuture<Capacity.Lease> inThread(Acquisition acquisition) {
        var lease = new CompletableFuture<Capacity.Lease>();
        waiters.add(Thread.ofVirtual().name("capacity-test-waiter").start(() -> {
            try {
                lease.complete(acquisition.acquire());
            } catch (Throwable e) {
                lease.completeExceptionally(e);
            }
        }));
        return lease;
    }
}
