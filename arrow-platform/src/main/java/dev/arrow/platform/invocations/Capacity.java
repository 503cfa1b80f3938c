package dev.arrow.platform.invocations;

import dev.arrow.platform.OverloadedException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slots for running sandboxes: node-wide, per arrow, and a share for async work. Permits are
 * always taken arrow first, then async share, then node, and given back in reverse, so no two
 * invocations can each hold what the other waits for.
 */
final class Capacity {

    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final Semaphore node;
    private final Semaphore async;
    private final int maxWaiting;
    private final Duration maxWait;
    private final DispatchClock clock;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final ConcurrentHashMap<String, ArrowSlots> arrows = new ConcurrentHashMap<>();

    Capacity(int maxConcurrent, int maxAsync, int maxWaiting, Duration maxWait, DispatchClock clock) {
        this.node = new Semaphore(maxConcurrent, true);
        this.async = new Semaphore(maxAsync, true);
        this.maxWaiting = maxWaiting;
        this.maxWait = maxWait;
        this.clock = clock;
    }

    /** A held set of slots; closing gives them back. */
    interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    /** For a sync invocation: waits at most maxWait, and only if fewer than maxWaiting already wait. */
    Lease acquireSync(String arrow, int arrowMax) throws InterruptedException {
        Semaphore perArrow = slotsOf(arrow, arrowMax);
        long deadline = clock.nanoTime() + maxWait.toNanos();
        boolean counted = false;
        try {
            if (!perArrow.tryAcquire()) {
                counted = enterWaiting();
                acquireBefore(perArrow, deadline, "'" + arrow + "' is at its maxInstances");
            }
            try {
                if (!node.tryAcquire()) {
                    counted = counted || enterWaiting();
                    acquireBefore(node, deadline, "the node is at capacity");
                }
            } catch (RuntimeException | InterruptedException e) {
                perArrow.release();
                throw e;
            }
        } finally {
            if (counted) {
                waiting.decrementAndGet();
            }
        }
        running.incrementAndGet();
        return () -> {
            running.decrementAndGet();
            node.release();
            perArrow.release();
        };
    }

    /** For an async invocation: already accepted, so it waits as long as it takes. */
    Lease acquireAsync(String arrow, int arrowMax) throws InterruptedException {
        Semaphore perArrow = slotsOf(arrow, arrowMax);
        perArrow.acquire();
        try {
            async.acquire();
            try {
                node.acquire();
            } catch (InterruptedException e) {
                async.release();
                throw e;
            }
        } catch (InterruptedException e) {
            perArrow.release();
            throw e;
        }
        running.incrementAndGet();
        return () -> {
            running.decrementAndGet();
            node.release();
            async.release();
            perArrow.release();
        };
    }

    int running() {
        return running.get();
    }

    int waiting() {
        return waiting.get();
    }

    private boolean enterWaiting() {
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            throw new OverloadedException("too many invocations are waiting for capacity: try again later", RETRY_AFTER);
        }
        return true;
    }

    private void acquireBefore(Semaphore semaphore, long deadline, String why) throws InterruptedException {
        if (!clock.awaitUntil(deadline, nanos -> semaphore.tryAcquire(nanos, TimeUnit.NANOSECONDS))) {
            throw new OverloadedException(why + ": try again later", RETRY_AFTER);
        }
    }

    /** A redeploy may change maxInstances: new invocations then count against a fresh semaphore. */
    private Semaphore slotsOf(String arrow, int max) {
        return arrows.compute(arrow, (name, slots) -> slots != null && slots.max() == max ? slots
                : new ArrowSlots(max, new Semaphore(max, true))).semaphore();
    }

    private record ArrowSlots(int max, Semaphore semaphore) {
    }
}
