package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.broker.Broker;
import dev.arrow.events.broker.EventLog;
import dev.arrow.events.broker.TriggerRegistry;
import dev.arrow.events.triggers.Trigger;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Fires every schedule trigger through {@link Broker#fire}, on one named thread. A schedule's last
 * firing is the newest event of its source in the event log, so a node that was down fires the
 * one run it owes on start ({@code CronSchedule.due}), not one per missed tick; a schedule first
 * seen (just deployed) owes nothing until its next time.
 */
final class ScheduleLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ScheduleLoop.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The longest wait between two looks: a clock that jumps is noticed within it. */
    private static final Duration MAX_WAIT = Duration.ofSeconds(10);

    private final TriggerRegistry triggers;
    private final Broker broker;
    private final EventLog log;
    private final Clock clock;
    private final Map<String, Instant> last = new HashMap<>(); // the loop's thread only
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean woken; // guarded by lock
    private boolean closed; // guarded by lock
    private Thread thread;

    ScheduleLoop(TriggerRegistry triggers, Broker broker, EventLog log, Clock clock) {
        this.triggers = triggers;
        this.broker = broker;
        this.log = log;
        this.clock = clock;
    }

    void start() {
        thread = Thread.ofPlatform().name("arrow-schedules").daemon().start(this::run);
    }

    /** The triggers changed: look again now. */
    void wake() {
        lock.lock();
        try {
            woken = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The source of a schedule's firings, as {@link Broker#fire} makes it. */
    static String source(String arrow, int trigger) {
        return "/arrows/" + arrow + "/triggers/" + trigger;
    }

    private void run() {
        while (true) {
            Instant next;
            try {
                next = fireDue();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "firing schedules: " + e.getMessage(), e);
                next = clock.instant().plusSeconds(1); // a failing store is not spun on
            }
            if (!awaitUntil(next)) {
                return;
            }
        }
    }

    /** Fires what is due; the earliest next firing time. */
    private Instant fireDue() {
        Instant now = clock.instant();
        Instant next = now.plus(MAX_WAIT);
        Set<String> seen = new HashSet<>();
        for (TriggerRegistry.Bound bound : triggers.all(Trigger.Schedule.class)) {
            var schedule = (Trigger.Schedule) bound.trigger();
            String key = bound.arrow() + "/" + bound.index() + "/" + schedule.schedule();
            seen.add(key);
            // A schedule never fired owes from now on, a tick at this very instant included: whether
            // the loop first sees it just before or at that tick makes no difference.
            Instant previous = last.computeIfAbsent(key, k -> lastFiring(bound.arrow(), bound.index())
                    .orElse(now.minusNanos(1)));
            Optional<Instant> due = schedule.schedule().due(previous, now);
            if (due.isPresent()) {
                broker.fire(bound.arrow(), bound.index(), schedule, due.get());
                previous = due.get();
                last.put(key, previous);
            }
            Optional<Instant> upcoming = schedule.schedule().next(previous);
            if (upcoming.isPresent() && upcoming.get().isBefore(next)) {
                next = upcoming.get();
            }
        }
        last.keySet().retainAll(seen);
        return next;
    }

    /** The scheduled time of the trigger's newest firing in the log. */
    private Optional<Instant> lastFiring(String arrow, int trigger) {
        for (EventLog.EventRecord record : log.recent(Optional.of(Broker.SCHEDULE_TYPE), Optional.of(source(arrow, trigger)), 1)) {
            try {
                JsonNode event = JSON.readTree(record.event().structured());
                if (event.hasNonNull("time")) {
                    return Optional.of(OffsetDateTime.parse(event.get("time").asText()).toInstant());
                }
            } catch (IOException | RuntimeException e) {
                LOG.fine(() -> "a stored firing of " + arrow + " without a readable time: " + e);
            }
            return Optional.of(record.event().acceptedAt());
        }
        return Optional.empty();
    }

    private boolean awaitUntil(Instant next) {
        lock.lock();
        try {
            while (!closed && !woken) {
                long nanos = Duration.between(clock.instant(), next).toNanos();
                if (nanos <= 0) {
                    break;
                }
                changed.awaitNanos(nanos);
            }
            woken = false;
            return !closed;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
