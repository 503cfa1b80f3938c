package dev.arrow.flows.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Sleeps by the injected clock. A sleeper naps at most {@link #MAX_NAP} at a time and looks at the
 * clock again, so a clock a test moves forward is seen within one nap; {@link #nudge} wakes every
 * sleeper at once to look.
 */
final class Timers {

    static final Duration MAX_NAP = Duration.ofMillis(500);

    private final Clock clock;
    private final Object bell = new Object();

    Timers(Clock clock) {
        this.clock = clock;
    }

    Instant now() {
        return clock.instant();
    }

    /** Returns once the clock reads {@code due} or later; interruptible. */
    void sleepUntil(Instant due) throws InterruptedException {
        while (true) {
            Duration left = Duration.between(clock.instant(), due);
            if (left.isNegative() || left.isZero()) {
                return;
            }
            long nanos = Math.min(left.toNanos(), MAX_NAP.toNanos());
            synchronized (bell) {
                bell.wait(Math.max(1, nanos / 1_000_000), (int) (nanos % 1_000_000));
            }
        }
    }

    /** Wakes every sleeper to look at the clock again (a moved test clock, an event). */
    void nudge() {
        synchronized (bell) {
            bell.notifyAll();
        }
    }
}
