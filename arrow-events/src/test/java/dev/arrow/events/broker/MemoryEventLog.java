package dev.arrow.events.broker;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The broker's store in memory, for its unit tests; the node's is SQLite. */
final class MemoryEventLog implements EventLog {

    private final Map<String, EventEnvelope> events = new LinkedHashMap<>();
    private final Map<Long, Row> deliveries = new LinkedHashMap<>();
    private long nextId = 1;

    private static final class Row {
        final Delivery delivery;
        DeliveryState.Status status = DeliveryState.Status.PENDING;
        int failures;
        Instant notBefore;
        Optional<String> error = Optional.empty();
        Optional<Instant> settledAt = Optional.empty();
        Optional<String> queue = Optional.empty();

        Row(Delivery delivery) {
            this.delivery = delivery;
            this.notBefore = delivery.notBefore();
        }

        Delivery current() {
            return new Delivery(delivery.id(), delivery.arrow(), delivery.trigger(), delivery.event(), failures, notBefore, error,
                    delivery.serialKey());
        }
    }

    @Override
    public synchronized List<Boolean> append(List<Pending> pending, Instant now) {
        var stored = new ArrayList<Boolean>();
        for (Pending one : pending) {
            String key = one.event().source() + "\n" + one.event().id();
            if (events.containsKey(key)) {
                stored.add(false);
                continue;
            }
            events.put(key, one.event());
            for (Target target : one.targets()) {
                long id = nextId++;
                deliveries.put(id, new Row(new Delivery(id, target.arrow(), target.trigger(), one.event(), 0, now,
                        Optional.empty(), target.serialKey())));
            }
            stored.add(true);
        }
        return stored;
    }

    @Override
    public synchronized List<Delivery> due(Instant now, int limit) {
        return deliveries.values().stream().filter(r -> r.status == DeliveryState.Status.PENDING && !r.notBefore.isAfter(now))
                .sorted(Comparator.comparing((Row r) -> r.notBefore).thenComparing(r -> r.delivery.id()))
                .limit(limit).map(Row::current).toList();
    }

    @Override
    public synchronized Optional<Instant> nextDue() {
        return deliveries.values().stream().filter(r -> r.status == DeliveryState.Status.PENDING).map(r -> r.notBefore)
                .min(Comparator.naturalOrder());
    }

    @Override
    public synchronized void settle(long delivery, Settlement settlement) {
        Row row = deliveries.get(delivery);
        switch (settlement) {
            case Settlement.Delivered delivered -> {
                row.status = DeliveryState.Status.DELIVERED;
                row.settledAt = Optional.of(delivered.at());
            }
            case Settlement.RetryLater retry -> {
                row.failures++;
                row.notBefore = retry.retryAt();
                row.error = Optional.of(retry.error());
            }
            case Settlement.Deferred deferred -> row.notBefore = deferred.retryAt();
            case Settlement.DeadLettered dead -> {
                row.failures++;
                row.status = DeliveryState.Status.DEAD_LETTERED;
                row.settledAt = Optional.of(dead.at());
                row.error = Optional.of(dead.error());
                row.queue = Optional.of(dead.queue());
            }
        }
    }

    @Override
    public synchronized List<EventRecord> recent(Optional<String> type, Optional<String> source, int limit) {
        var records = new ArrayList<EventRecord>();
        for (EventEnvelope event : events.values().stream().toList().reversed()) {
            if (type.map(t -> !t.equals(event.type())).orElse(false) || source.map(s -> !s.equals(event.source())).orElse(false)) {
                continue;
            }
            var states = deliveries.values().stream().filter(r -> r.delivery.event() == event)
                    .map(r -> new DeliveryState(r.delivery.arrow(), r.delivery.trigger(), r.status, r.failures, r.settledAt,
                            r.error, r.queue)).toList();
            records.add(new EventRecord(event, states));
            if (records.size() == limit) {
                break;
            }
        }
        return records;
    }

    @Override
    public synchronized Optional<EventEnvelope> firstSince(Instant since, java.util.function.Predicate<EventEnvelope> test) {
        return events.values().stream().filter(event -> !event.acceptedAt().isBefore(since)).filter(test).findFirst();
    }

    @Override
    public synchronized boolean redeliver(String source, String id, String arrow, int trigger, Instant now) {
        for (Row row : deliveries.values()) {
            EventEnvelope event = row.delivery.event();
            if (event.source().equals(source) && event.id().equals(id) && row.delivery.arrow().equals(arrow)
                    && row.delivery.trigger() == trigger && row.status == DeliveryState.Status.DEAD_LETTERED) {
                row.status = DeliveryState.Status.PENDING;
                row.failures = 0;
                row.notBefore = now;
                row.settledAt = Optional.empty();
                row.queue = Optional.empty();
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized List<TriggerStats> stats() {
        var byTrigger = new LinkedHashMap<String, TriggerStats>();
        for (Row row : deliveries.values()) {
            String key = row.delivery.arrow() + "\n" + row.delivery.trigger();
            TriggerStats old = byTrigger.getOrDefault(key, new TriggerStats(row.delivery.arrow(), row.delivery.trigger(), 0, 0, 0, 0,
                    Optional.empty()));
            Instant accepted = row.delivery.event().acceptedAt();
            byTrigger.put(key, new TriggerStats(old.arrow(), old.trigger(), old.deliveries() + 1,
                    old.pending() + (row.status == DeliveryState.Status.PENDING ? 1 : 0), old.failures() + row.failures,
                    old.deadLettered() + (row.status == DeliveryState.Status.DEAD_LETTERED ? 1 : 0),
                    Optional.of(old.last().filter(at -> at.isAfter(accepted)).orElse(accepted))));
        }
        return List.copyOf(byTrigger.values());
    }

    synchronized DeliveryState.Status status(long delivery) {
        return deliveries.get(delivery).status;
    }
}
