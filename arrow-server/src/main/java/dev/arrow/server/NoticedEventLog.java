package dev.arrow.server;

import dev.arrow.events.broker.Delivery;
import dev.arrow.events.broker.EventEnvelope;
import dev.arrow.events.broker.EventLog;
import dev.arrow.events.broker.Settlement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** The node's event log, telling {@code stored} of each event once it is stored (a duplicate is not). */
final class NoticedEventLog implements EventLog {

    private final EventLog log;
    private final Consumer<EventEnvelope> stored;

    NoticedEventLog(EventLog log, Consumer<EventEnvelope> stored) {
        this.log = log;
        this.stored = stored;
    }

    @Override
    public List<Boolean> append(List<Pending> events, Instant now) {
        List<Boolean> appended = log.append(events, now);
        for (int i = 0; i < events.size(); i++) {
            if (appended.get(i)) {
                stored.accept(events.get(i).event());
            }
        }
        return appended;
    }

    @Override
    public List<Delivery> due(Instant now, int limit) {
        return log.due(now, limit);
    }

    @Override
    public Optional<Instant> nextDue() {
        return log.nextDue();
    }

    @Override
    public void settle(long delivery, Settlement settlement) {
        log.settle(delivery, settlement);
    }

    @Override
    public List<EventRecord> recent(Optional<String> type, Optional<String> source, int limit) {
        return log.recent(type, source, limit);
    }

    @Override
    public Optional<EventEnvelope> firstSince(Instant since, Predicate<EventEnvelope> test) {
        return log.firstSince(since, test);
    }

    @Override
    public boolean redeliver(String source, String id, String arrow, int trigger, Instant now) {
        return log.redeliver(source, id, arrow, trigger, now);
    }

    @Override
    public List<TriggerStats> stats() {
        return log.stats();
    }
}
