package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.broker.Broker;
import dev.arrow.events.broker.EventLog;
import dev.arrow.events.broker.TriggerRegistry;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.triggers.Triggers;
import dev.arrow.state.SqliteState;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The schedule loop on an injected clock: the one missed run after downtime, then each time in turn. */
class ScheduleLoopTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aScheduleDownForManyTicksFiresTheLatestOnceThenEachNextTime() throws Exception {
        try (var state = SqliteState.open(dir.resolve("state.db"))) {
            EventLog log = state.events();
            var clock = new MovableClock(Instant.parse("2030-01-01T10:00:30Z"));
            var registry = new TriggerRegistry();
            List<Trigger> triggers = Triggers.parse(JSON.readTree("[{\"schedule\": \"0 * * * * *\"}]"), Set.of(), Set.of());
            registry.set("ticker", triggers);
            var broker = new Broker(log, registry, clock, () -> { });
            // Its last firing was at 09:55: five minutes were missed while the node was down.
            broker.fire("ticker", 0, (Trigger.Schedule) triggers.getFirst(), Instant.parse("2030-01-01T09:55:00Z"));

            try (var loop = new ScheduleLoop(registry, broker, log, clock)) {
                loop.start();
                await().atMost(Duration.ofSeconds(20)).until(() -> firings(log).size() == 2);
                assertThat(firings(log)).containsExactly("2030-01-01T10:00:00Z", "2030-01-01T09:55:00Z");

                clock.now = Instant.parse("2030-01-01T10:01:00Z");
                loop.wake();
                await().atMost(Duration.ofSeconds(20)).until(() -> firings(log).size() == 3);
                clock.now = Instant.parse("2030-01-01T10:01:59Z");
                loop.wake();
                clock.now = Instant.parse("2030-01-01T10:02:00.5Z");
                loop.wake();
                await().atMost(Duration.ofSeconds(20)).until(() -> firings(log).size() == 4);
                assertThat(firings(log)).containsExactly("2030-01-01T10:02:00Z", "2030-01-01T10:01:00Z",
                        "2030-01-01T10:00:00Z", "2030-01-01T09:55:00Z");
            }
        }
    }

    @Test
    void aScheduleNeverFiredBeforeOwesNothingUntilItsNextTime() throws Exception {
        try (var state = SqliteState.open(dir.resolve("state.db"))) {
            EventLog log = state.events();
            var clock = new MovableClock(Instant.parse("2030-01-01T10:00:30Z"));
            var registry = new TriggerRegistry();
            var broker = new Broker(log, registry, clock, () -> { });
            try (var loop = new ScheduleLoop(registry, broker, log, clock)) {
                loop.start();
                registry.set("fresh", Triggers.parse(JSON.readTree("[{\"schedule\": \"0 * * * * *\"}]"), Set.of(), Set.of()));
                loop.wake();
                clock.now = Instant.parse("2030-01-01T10:01:00Z");
                loop.wake();
                await().atMost(Duration.ofSeconds(20)).until(() -> !firings(log).isEmpty());
                assertThat(firings(log)).containsExactly("2030-01-01T10:01:00Z");
            }
        }
    }

    /** Scheduled times of the firings, newest first. */
    private static List<String> firings(EventLog log) {
        return log.recent(Optional.of(Broker.SCHEDULE_TYPE), Optional.empty(), 100).stream().map(record -> {
            try {
                return JSON.readTree(record.event().structured()).path("data").path("scheduledTime").asText();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }
}
