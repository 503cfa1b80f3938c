package dev.arrow.state;

import dev.arrow.events.broker.Delivery;
import dev.arrow.events.broker.DeliveryState;
import dev.arrow.events.broker.EventEnvelope;
import dev.arrow.events.broker.EventLog;
import dev.arrow.events.broker.Settlement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The broker's events and deliveries in the {@code events} and {@code event_deliveries} tables
 * (see {@link Schema}). An append is one synced, group-committed transaction: the events and every
 * delivery they owe are on disk before the node answers 202, and an event already stored (same
 * source and id) is skipped in the same transaction, so a retried publish stores nothing twice.
 */
final class SqliteEventLog implements EventLog {

    private static final String INSERT_EVENT = """
            INSERT INTO events (source, id, type, accepted_at_ns, structured) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (source, id) DO NOTHING RETURNING seq""";
    private static final String INSERT_DELIVERY = """
            INSERT INTO event_deliveries (event_seq, arrow, trigger_index, serial_key, status, failures, not_before_ns)
            VALUES (?, ?, ?, ?, 'PENDING', 0, ?)""";
    private static final String DELIVERY_COLUMNS = """
            d.id, d.arrow, d.trigger_index, d.serial_key, d.failures, d.not_before_ns, d.last_error,
            e.source, e.id AS event_id, e.type, e.accepted_at_ns, e.structured""";
    private static final String DUE = "SELECT " + DELIVERY_COLUMNS + """
             FROM event_deliveries d JOIN events e ON e.seq = d.event_seq
            WHERE d.status = 'PENDING' AND d.not_before_ns <= ? ORDER BY d.not_before_ns, d.id LIMIT ?""";
    private static final String NEXT_DUE = "SELECT MIN(not_before_ns) FROM event_deliveries WHERE status = 'PENDING'";
    private static final String DELIVERED = """
            UPDATE event_deliveries SET status = 'DELIVERED', settled_at_ns = ? WHERE id = ? AND status = 'PENDING'""";
    private static final String RETRY = """
            UPDATE event_deliveries SET failures = failures + 1, not_before_ns = ?, last_error = ?
            WHERE id = ? AND status = 'PENDING'""";
    private static final String DEFER = "UPDATE event_deliveries SET not_before_ns = ? WHERE id = ? AND status = 'PENDING'";
    private static final String DEAD = """
            UPDATE event_deliveries SET status = 'DEAD_LETTERED', failures = failures + 1, settled_at_ns = ?, last_error = ?,
                dead_letter_queue = ?, dead_letter_message = ? WHERE id = ? AND status = 'PENDING'""";
    private static final String RECENT = """
            SELECT seq, source, id, type, accepted_at_ns, structured FROM events
            WHERE (?1 IS NULL OR type = ?1) AND (?2 IS NULL OR source = ?2) ORDER BY seq DESC LIMIT ?3""";
    private static final String SINCE = """
            SELECT seq, source, id, type, accepted_at_ns, structured FROM events
            WHERE seq > ? AND accepted_at_ns >= ? ORDER BY seq LIMIT ?""";
    private static final int SINCE_PAGE = 256;
    private static final String DELIVERIES_OF = """
            SELECT arrow, trigger_index, status, failures, settled_at_ns, last_error, dead_letter_queue
            FROM event_deliveries WHERE event_seq = ? ORDER BY id""";

    private static final String REDELIVER = """
            UPDATE event_deliveries SET status = 'PENDING', failures = 0, not_before_ns = ?, settled_at_ns = NULL,
                dead_letter_queue = NULL, dead_letter_message = NULL
            WHERE arrow = ? AND trigger_index = ? AND status = 'DEAD_LETTERED'
              AND event_seq = (SELECT seq FROM events WHERE source = ? AND id = ?)""";
    private static final String STATS = """
            SELECT d.arrow, d.trigger_index, COUNT(*) AS deliveries, SUM(d.status = 'PENDING') AS pending,
                SUM(d.failures) AS failures, SUM(d.status = 'DEAD_LETTERED') AS dead, MAX(e.accepted_at_ns) AS last
            FROM event_deliveries d JOIN events e ON e.seq = d.event_seq
            GROUP BY d.arrow, d.trigger_index ORDER BY d.arrow, d.trigger_index""";

    private final Database database;

    SqliteEventLog(Database database) {
        this.database = database;
    }

    @Override
    public List<Boolean> append(List<Pending> events, Instant now) {
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            var stored = new ArrayList<Boolean>();
            for (Pending pending : events) {
                EventEnvelope event = pending.event();
                Optional<Long> seq = database.withStatement(connection, INSERT_EVENT, insert -> {
                    insert.setString(1, event.source());
                    insert.setString(2, event.id());
                    insert.setString(3, event.type());
                    insert.setLong(4, Times.nanos(event.acceptedAt()));
                    insert.setBytes(5, event.structured());
                    try (ResultSet rows = insert.executeQuery()) {
                        return rows.next() ? Optional.of(rows.getLong(1)) : Optional.<Long>empty();
                    }
                });
                stored.add(seq.isPresent());
                if (seq.isEmpty()) {
                    continue;
                }
                for (Target target : pending.targets()) {
                    database.withStatement(connection, INSERT_DELIVERY, insert -> {
                        insert.setLong(1, seq.get());
                        insert.setString(2, target.arrow());
                        insert.setInt(3, target.trigger());
                        insert.setString(4, target.serialKey().orElse(null));
                        insert.setLong(5, nowNanos);
                        return insert.executeUpdate();
                    });
                }
            }
            return stored;
        });
    }

    @Override
    public List<Delivery> due(Instant now, int limit) {
        return database.read(connection -> database.withStatement(connection, DUE, select -> {
            select.setLong(1, Times.nanos(now));
            select.setInt(2, limit);
            var due = new ArrayList<Delivery>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    var event = new EventEnvelope(rows.getString("source"), rows.getString("event_id"), rows.getString("type"),
                            Times.instant(rows.getLong("accepted_at_ns")), rows.getBytes("structured"));
                    due.add(new Delivery(rows.getLong("id"), rows.getString("arrow"), rows.getInt("trigger_index"), event,
                            rows.getInt("failures"), Times.instant(rows.getLong("not_before_ns")),
                            Optional.ofNullable(rows.getString("last_error")), Optional.ofNullable(rows.getString("serial_key"))));
                }
            }
            return due;
        }));
    }

    @Override
    public Optional<Instant> nextDue() {
        return database.read(connection -> database.withStatement(connection, NEXT_DUE, select -> {
            try (ResultSet rows = select.executeQuery()) {
                long next = rows.getLong(1);
                return rows.wasNull() ? Optional.<Instant>empty() : Optional.of(Times.instant(next));
            }
        }));
    }

    @Override
    public void settle(long delivery, Settlement settlement) {
        database.write(connection -> switch (settlement) {
            case Settlement.Delivered delivered -> database.withStatement(connection, DELIVERED, update -> {
                update.setLong(1, Times.nanos(delivered.at()));
                update.setLong(2, delivery);
                return update.executeUpdate();
            });
            case Settlement.RetryLater retry -> database.withStatement(connection, RETRY, update -> {
                update.setLong(1, Times.nanos(retry.retryAt()));
                update.setString(2, retry.error());
                update.setLong(3, delivery);
                return update.executeUpdate();
            });
            case Settlement.Deferred deferred -> database.withStatement(connection, DEFER, update -> {
                update.setLong(1, Times.nanos(deferred.retryAt()));
                update.setLong(2, delivery);
                return update.executeUpdate();
            });
            case Settlement.DeadLettered dead -> database.withStatement(connection, DEAD, update -> {
                update.setLong(1, Times.nanos(dead.at()));
                update.setString(2, dead.error());
                update.setString(3, dead.queue());
                update.setString(4, dead.messageId());
                update.setLong(5, delivery);
                return update.executeUpdate();
            });
        });
    }

    @Override
    public List<EventRecord> recent(Optional<String> type, Optional<String> source, int limit) {
        return database.read(connection -> {
            Map<Long, EventEnvelope> events = new LinkedHashMap<>();
            database.withStatement(connection, RECENT, select -> {
                select.setString(1, type.orElse(null));
                select.setString(2, source.orElse(null));
                select.setInt(3, limit);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        events.put(rows.getLong("seq"), new EventEnvelope(rows.getString("source"), rows.getString("id"),
                                rows.getString("type"), Times.instant(rows.getLong("accepted_at_ns")), rows.getBytes("structured")));
                    }
                }
                return null;
            });
            var records = new ArrayList<EventRecord>();
            for (var entry : events.entrySet()) {
                records.add(new EventRecord(entry.getValue(), deliveriesOf(connection, entry.getKey())));
            }
            return records;
        });
    }

    @Override
    public Optional<EventEnvelope> firstSince(Instant since, java.util.function.Predicate<EventEnvelope> test) {
        long after = 0;
        while (true) {
            long from = after;
            List<Map.Entry<Long, EventEnvelope>> page = database.read(connection ->
                    database.withStatement(connection, SINCE, select -> {
                        select.setLong(1, from);
                        select.setLong(2, Times.nanos(since));
                        select.setInt(3, SINCE_PAGE);
                        var read = new ArrayList<Map.Entry<Long, EventEnvelope>>();
                        try (ResultSet rows = select.executeQuery()) {
                            while (rows.next()) {
                                read.add(Map.entry(rows.getLong("seq"), new EventEnvelope(rows.getString("source"),
                                        rows.getString("id"), rows.getString("type"),
                                        Times.instant(rows.getLong("accepted_at_ns")), rows.getBytes("structured"))));
                            }
                        }
                        return read;
                    }));
            for (Map.Entry<Long, EventEnvelope> row : page) {
                if (test.test(row.getValue())) {
                    return Optional.of(row.getValue());
                }
            }
            if (page.size() < SINCE_PAGE) {
                return Optional.empty();
            }
            after = page.getLast().getKey();
        }
    }

    @Override
    public boolean redeliver(String source, String id, String arrow, int trigger, Instant now) {
        return database.write(connection -> database.withStatement(connection, REDELIVER, update -> {
            update.setLong(1, Times.nanos(now));
            update.setString(2, arrow);
            update.setInt(3, trigger);
            update.setString(4, source);
            update.setString(5, id);
            return update.executeUpdate();
        })) > 0;
    }

    @Override
    public List<TriggerStats> stats() {
        return database.read(connection -> database.withStatement(connection, STATS, select -> {
            var stats = new ArrayList<TriggerStats>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    stats.add(new TriggerStats(rows.getString("arrow"), rows.getInt("trigger_index"), rows.getLong("deliveries"),
                            rows.getLong("pending"), rows.getLong("failures"), rows.getLong("dead"),
                            Optional.of(Times.instant(rows.getLong("last")))));
                }
            }
            return stats;
        }));
    }

    private List<DeliveryState> deliveriesOf(Connection connection, long seq) throws SQLException {
        return database.withStatement(connection, DELIVERIES_OF, select -> {
            select.setLong(1, seq);
            var states = new ArrayList<DeliveryState>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    states.add(new DeliveryState(rows.getString("arrow"), rows.getInt("trigger_index"),
                            DeliveryState.Status.valueOf(rows.getString("status")), rows.getInt("failures"),
                            Times.optionalInstant(rows, "settled_at_ns"), Optional.ofNullable(rows.getString("last_error")),
                            Optional.ofNullable(rows.getString("dead_letter_queue"))));
                }
            }
            return states;
        });
    }
}
