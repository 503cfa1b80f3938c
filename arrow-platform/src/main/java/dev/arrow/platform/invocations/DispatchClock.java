package dev.arrow.platform.invocations;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The time dispatch runs on: instants for records, a monotonic reading for durations and
 * deadlines, and the waits bounded by those deadlines (a queue's wait for capacity, a retry's
 * pause, the shutdown's grace, a crashed instance's end).
 *
 * <p>A plain {@link Clock} gives instants but neither a monotonic reading nor a wait. Both go
 * through here so that a test can move them with the same time its assertions read: a deadline
 * that is a real timed wait cannot be passed by a test without sleeping through it. It is a
 * {@code Clock} itself, so what only needs instants takes it as one.
 */
public abstract class DispatchClock extends Clock {

    private static final DispatchClock SYSTEM_UTC = new SystemClock(Clock.systemUTC());

    /** A timed wait: blocks at most {@code nanos} (not at all when 0) and says whether what it waits for came. */
    @FunctionalInterface
    public interface TimedWait {
        boolean await(long nanos) throws InterruptedException;
    }

    /** The system's clock in UTC, {@link System#nanoTime()} and real waits. */
    public static DispatchClock systemUTC() {
        return SYSTEM_UTC;
    }

    /** A reading for durations and deadlines, as {@link System#nanoTime()}: only differences mean anything. */
    public abstract long nanoTime();

    /**
     * Waits with {@code wait} until what it waits for comes or {@link #nanoTime()} reaches
     * {@code deadlineNanos}; past the deadline it still tries once, without blocking.
     *
     * @return what {@code wait} said last
     */
    public abstract boolean awaitUntil(long deadlineNanos, TimedWait wait) throws InterruptedException;

    /** Sleeps for {@code time} on this clock. */
    public final void sleep(Duration time) throws InterruptedException {
        awaitUntil(nanoTime() + time.toNanos(), nanos -> {
            TimeUnit.NANOSECONDS.sleep(nanos);
            return false;
        });
    }

    private static final class SystemClock extends DispatchClock {
        private final Clock wall;

        SystemClock(Clock wall) {
            this.wall = Objects.requireNonNull(wall, "wall");
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public boolean awaitUntil(long deadlineNanos, TimedWait wait) throws InterruptedException {
            return wait.await(Math.max(0, deadlineNanos - System.nanoTime()));
        }

        @Override
        public ZoneId getZone() {
            return wall.getZone();
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return zone.equals(wall.getZone()) ? this : new SystemClock(wall.withZone(zone));
        }

        @Override
        public Instant instant() {
            return wall.instant();
        }

        @Override
        public long millis() {
            return wall.millis();
        }

        @Override
        public String toString() {
            return "DispatchClock[" + wall + "]";
        }
    }
}
