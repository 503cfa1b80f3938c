package dev.arrow.platform.invocations;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Time that moves only when a test says so. Its waits look for what they wait for in slices of
 * one real millisecond and give up only once the test has moved the time past their deadline.
 */
final class ManualClock extends DispatchClock {

    static final Instant ORIGIN = Instant.parse("2030-01-01T00:00:00Z");
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong elapsed = new AtomicLong();
    private final AtomicInteger waiting = new AtomicInteger();

    void advance(Duration time) {
        if (time.isNegative()) {
            throw new IllegalArgumentException("time goes forward: " + time);
        }
        elapsed.addAndGet(time.toNanos());
    }

    /** How many threads are in a wait on this clock now. */
    int waiting() {
        return waiting.get();
    }

    @Override
    public long nanoTime() {
        return 7_000_000_000L + elapsed.get(); // not 0: only differences may mean anything
    }

    @Override
    public boolean awaitUntil(long deadlineNanos, TimedWait wait) throws InterruptedException {
        waiting.incrementAndGet();
        try {
            while (nanoTime() - deadlineNanos < 0) {
                if (wait.await(SLICE_NANOS)) {
                    return true;
                }
            }
            return wait.await(0);
        } finally {
            waiting.decrementAndGet();
        }
    }

    @Override
    public Instant instant() {
        return ORIGIN.plusNanos(elapsed.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (!zone.equals(ZoneOffset.UTC)) {
            throw new UnsupportedOperationException("a manual clock runs in UTC");
        }
        return this;
    }
}
