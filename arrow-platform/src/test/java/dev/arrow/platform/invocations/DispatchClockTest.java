package dev.arrow.platform.invocations;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The system's dispatch clock: what a node runs on. */
class DispatchClockTest {

    private final DispatchClock clock = DispatchClock.systemUTC();

    @Test
    void itWaitsUntilItsDeadlineAndTriesOnceMoreWhenThatHasPassed() throws Exception {
        var none = new Semaphore(0);
        long start = clock.nanoTime();

        assertThat(clock.awaitUntil(start + TimeUnit.MILLISECONDS.toNanos(20),
                nanos -> none.tryAcquire(nanos, TimeUnit.NANOSECONDS))).isFalse();
        assertThat(clock.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));

        none.release();
        assertThat(clock.awaitUntil(start, nanos -> {
            assertThat(nanos).as("past its deadline, it does not block").isZero();
            return none.tryAcquire(nanos, TimeUnit.NANOSECONDS);
        })).isTrue();
    }

    @Test
    void itSleepsForTheTimeAsked() throws Exception {
        long start = System.nanoTime();

        clock.sleep(Duration.ofMillis(10));

        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(10));
    }

    @Test
    void itsInstantsAreTheSystemsInUtc() {
        long before = System.currentTimeMillis();
        long millis = clock.instant().toEpochMilli();

        assertThat(millis).isBetween(before, System.currentTimeMillis());
        assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
        assertThat(clock.withZone(ZoneOffset.UTC)).isSameAs(clock);
        assertThat(clock.withZone(ZoneOffset.ofHours(2)).getZone()).isEqualTo(ZoneOffset.ofHours(2));
    }
}
