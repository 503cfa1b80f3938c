package dev.arrow.state;

import dev.arrow.services.queues.Message;
import dev.arrow.services.queues.QueueInfo;
import dev.arrow.services.queues.QueueOptions;
import dev.arrow.services.queues.QueueStore;
import dev.arrow.services.queues.ReceiptHandle;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Queues in the {@code queues} and {@code queue_messages} tables (see {@link Schema}).
 *
 * <p>Every method that changes anything is one synced, group-committed transaction
 * ({@link Database#write}), answered only once on disk: a send, a receive (its counts, handles and
 * visibility, and the dead letters it moves), a delete. A receive picks the next visible messages
 * by the index on (queue, visible_at_ns) in the write transaction, so two receives never take the
 * same message while it is invisible. Messages past their retention are skipped by every read and
 * removed by the writes to their queue (a send at the cap, a receive, a purge).
 */
final class SqliteQueueStore implements QueueStore {

    private static final String QUEUE_COLUMNS = """
            name, visibility_timeout_ns, retention_ns, max_message_bytes, delay_ns, max_receive_count,
            dead_letter_queue, max_messages, created_at_ns""";
    private static final String SELECT_QUEUE = "SELECT " + QUEUE_COLUMNS + " FROM queues WHERE name = ?";
    private static final String INSERT_QUEUE = "INSERT INTO queues (" + QUEUE_COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String FIGURES = """
            SELECT COALESCE(SUM(visible_at_ns <= ?1), 0),
                   COALESCE(SUM(visible_at_ns > ?1 AND receipt IS NOT NULL), 0),
                   COALESCE(SUM(visible_at_ns > ?1 AND receipt IS NULL), 0),
                   MIN(sent_at_ns)
            FROM queue_messages WHERE queue = ?2 AND expires_at_ns > ?1""";
    private static final String INSERT_MESSAGE = """
            INSERT INTO queue_messages (queue, id, sent_at_ns, visible_at_ns, expires_at_ns, receive_count, body)
            VALUES (?, ?, ?, ?, ?, 0, ?)""";
    private static final String NEXT_VISIBLE = """
            SELECT seq, id, sent_at_ns, receive_count, first_received_at_ns, source_queue, body FROM queue_messages
            WHERE queue = ?1 AND visible_at_ns <= ?2 AND expires_at_ns > ?2 ORDER BY visible_at_ns, seq LIMIT ?3""";
    private static final String DELIVER = """
            UPDATE queue_messages SET receive_count = ?, first_received_at_ns = ?, receipt = ?, visible_at_ns = ?
            WHERE seq = ?""";
    private static final String DEAD_LETTER = """
            UPDATE queue_messages SET queue = ?, source_queue = ?, receipt = NULL, visible_at_ns = ?,
                expires_at_ns = sent_at_ns + ? WHERE seq = ?""";
    private static final String BY_ID = """
            SELECT seq, queue, receipt, visible_at_ns, expires_at_ns FROM queue_messages WHERE id = ?""";
    private static final String PURGE_EXPIRED = "DELETE FROM queue_messages WHERE queue = ? AND expires_at_ns <= ?";

    /** A queue's row. */
    private record QueueRow(String name, QueueOptions options, long createdAtNanos) {
    }

    /** A candidate for a receive. */
    private record Candidate(long seq, String id, long sentAtNanos, int receiveCount, Long firstReceivedAtNanos,
            String sourceQueue, byte[] body) {
    }

    private final Database database;

    SqliteQueueStore(Database database) {
        this.database = database;
    }

    @Override
    public Created create(String queue, QueueOptions options, Instant now) {
        Objects.requireNonNull(options, "options");
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            QueueRow row = queueRow(connection, queue);
            if (row != null) {
                return new Created(info(connection, row, nowNanos), false);
            }
            row = new QueueRow(queue, options, nowNanos);
            insertQueue(connection, row);
            return new Created(info(connection, row, nowNanos), true);
        });
    }

    @Override
    public Optional<QueueInfo> queue(String queue, Instant now) {
        long nowNanos = Times.nanos(now);
        return database.read(connection -> {
            QueueRow row = queueRow(connection, queue);
            return row == null ? Optional.empty() : Optional.of(info(connection, row, nowNanos));
        });
    }

    @Override
    public List<QueueInfo> queues(Instant now) {
        long nowNanos = Times.nanos(now);
        return database.read(connection -> {
            var rows = new ArrayList<QueueRow>();
            try (var select = connection.prepareStatement("SELECT " + QUEUE_COLUMNS + " FROM queues ORDER BY name");
                 ResultSet found = select.executeQuery()) {
                while (found.next()) {
                    rows.add(queueRow(found));
                }
            }
            var infos = new ArrayList<QueueInfo>(rows.size());
            for (QueueRow row : rows) {
                infos.add(info(connection, row, nowNanos));
            }
            return List.copyOf(infos);
        });
    }

    @Override
    public boolean deleteQueue(String queue) {
        // Its messages go with it (ON DELETE CASCADE); dead letters it holds keep nothing of their source.
        return database.write(connection -> database.withStatement(connection, "DELETE FROM queues WHERE name = ?",
                delete -> {
                    delete.setString(1, queue);
                    return delete.executeUpdate() == 1;
                }));
    }

    @Override
    public SendResult send(String queue, byte[] body, Optional<Duration> delay, QueueOptions ifNew, Instant now) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(ifNew, "ifNew");
        long nowNanos = Times.nanos(now);
        String id = UUID.randomUUID().toString();
        return database.write(connection -> {
            QueueRow row = queueRow(connection, queue);
            boolean creating = row == null;
            if (creating) {
                row = new QueueRow(queue, ifNew, nowNanos);
            }
            QueueOptions options = row.options();
            if (body.length > options.maxMessageBytes()) {
                return new SendResult.TooLarge(creating ? emptyInfo(row) : info(connection, row, nowNanos));
            }
            if (creating) {
                insertQueue(connection, row);
            } else if (count(connection, queue, nowNanos) >= options.maxMessages()) {
                purgeExpired(connection, queue, nowNanos);
                if (count(connection, queue, nowNanos) >= options.maxMessages()) {
                    return new SendResult.QueueFull(info(connection, row, nowNanos));
                }
            }
            long visibleAt = nowNanos + Times.nanos(delay.orElse(options.delay()));
            database.withStatement(connection, INSERT_MESSAGE, insert -> {
                insert.setString(1, queue);
                insert.setString(2, id);
                insert.setLong(3, nowNanos);
                insert.setLong(4, visibleAt);
                insert.setLong(5, nowNanos + Times.nanos(options.retention()));
                insert.setBytes(6, body);
                return insert.executeUpdate();
            });
            return new SendResult.Sent(id, now, Times.instant(visibleAt), creating);
        });
    }

    @Override
    public Optional<List<Message>> receive(String queue, int max, Optional<Duration> visibility, Instant now) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be positive: " + max);
        }
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            QueueRow row = queueRow(connection, queue);
            if (row == null) {
                return Optional.empty();
            }
            purgeExpired(connection, queue, nowNanos);
            QueueOptions options = row.options();
            long invisibleUntil = nowNanos + Times.nanos(visibility.orElse(options.visibilityTimeout()));
            var taken = new ArrayList<Message>(max);
            boolean movedAny = true;
            while (taken.size() < max && movedAny) {
                movedAny = false;
                List<Candidate> candidates = nextVisible(connection, queue, nowNanos, max - taken.size());
                for (Candidate c : candidates) {
                    if (options.maxReceiveCount() > 0 && c.receiveCount() >= options.maxReceiveCount()) {
                        deadLetter(connection, row, c, nowNanos);
                        movedAny = true;
                        continue;
                    }
                    String token = ReceiptHandle.newToken();
                    int count = c.receiveCount() + 1;
                    long first = c.firstReceivedAtNanos() == null ? nowNanos : c.firstReceivedAtNanos();
                    database.withStatement(connection, DELIVER, update -> {
                        update.setInt(1, count);
                        update.setLong(2, first);
                        update.setString(3, token);
                        update.setLong(4, invisibleUntil);
                        update.setLong(5, c.seq());
                        return update.executeUpdate();
                    });
                    taken.add(new Message(c.id(), c.body(), count, Times.instant(c.sentAtNanos()), Times.instant(first),
                            new ReceiptHandle(queue, c.id(), token).encode(), Times.instant(invisibleUntil),
                            Optional.ofNullable(c.sourceQueue())));
                }
            }
            return Optional.of(List.copyOf(taken));
        });
    }

    /** Moves an over-received message to the queue's dead-letter queue, made with the defaults when absent. */
    private void deadLetter(Connection connection, QueueRow row, Candidate c, long nowNanos) throws SQLException {
        String dlq = row.options().deadLetterQueue().orElseThrow();
        QueueRow target = queueRow(connection, dlq);
        if (target == null) {
            target = new QueueRow(dlq, QueueOptions.DEFAULT, nowNanos);
            insertQueue(connection, target);
        }
        long retention = Times.nanos(target.options().retention());
        database.withStatement(connection, DEAD_LETTER, update -> {
            update.setString(1, dlq);
            update.setString(2, row.name());
            update.setLong(3, nowNanos);
            update.setLong(4, retention);
            update.setLong(5, c.seq());
            return update.executeUpdate();
        });
    }

    private List<Candidate> nextVisible(Connection connection, String queue, long nowNanos, int limit)
            throws SQLException {
        return database.withStatement(connection, NEXT_VISIBLE, select -> {
            select.setString(1, queue);
            select.setLong(2, nowNanos);
            select.setInt(3, limit);
            var found = new ArrayList<Candidate>(limit);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    long first = rows.getLong("first_received_at_ns");
                    Long firstOrNull = rows.wasNull() ? null : first;
                    found.add(new Candidate(rows.getLong("seq"), rows.getString("id"), rows.getLong("sent_at_ns"),
                            rows.getInt("receive_count"), firstOrNull, rows.getString("source_queue"),
                            rows.getBytes("body")));
                }
            }
            return found;
        });
    }

    /** A message's row as a handle sees it. */
    private record Held(long seq, String queue, String receipt, long visibleAtNanos, long expiresAtNanos) {
    }

    /** What {@code handle} finds: null when it may act on its message, else the refusal. */
    private HandleResult check(Connection connection, String queue, ReceiptHandle handle, long nowNanos, Held[] out)
            throws SQLException {
        if (queueRow(connection, queue) == null) {
            return new HandleResult.NoQueue();
        }
        Held held = database.withStatement(connection, BY_ID, select -> {
            select.setString(1, handle.messageId());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? new Held(rows.getLong("seq"), rows.getString("queue"), rows.getString("receipt"),
                        rows.getLong("visible_at_ns"), rows.getLong("expires_at_ns")) : null;
            }
        });
        if (held == null || held.expiresAtNanos() <= nowNanos) {
            return new HandleResult.Gone();
        }
        if (!held.queue().equals(queue) || !handle.token().equals(held.receipt())) {
            return new HandleResult.Stale();
        }
        out[0] = held;
        return null;
    }

    @Override
    public HandleResult delete(String queue, ReceiptHandle handle, Instant now) {
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            Held[] held = new Held[1];
            HandleResult refused = check(connection, queue, handle, nowNanos, held);
            if (refused != null) {
                return refused;
            }
            database.withStatement(connection, "DELETE FROM queue_messages WHERE seq = ?", delete -> {
                delete.setLong(1, held[0].seq());
                return delete.executeUpdate();
            });
            return new HandleResult.Done();
        });
    }

    @Override
    public HandleResult changeVisibility(String queue, ReceiptHandle handle, Duration visibility, Instant now) {
        long nowNanos = Times.nanos(now);
        long visibleAt = nowNanos + Times.nanos(visibility);
        return database.write(connection -> {
            Held[] held = new Held[1];
            HandleResult refused = check(connection, queue, handle, nowNanos, held);
            if (refused != null) {
                return refused;
            }
            if (held[0].visibleAtNanos() <= nowNanos) {
                return new HandleResult.NotInFlight();
            }
            database.withStatement(connection, "UPDATE queue_messages SET visible_at_ns = ? WHERE seq = ?", update -> {
                update.setLong(1, visibleAt);
                update.setLong(2, held[0].seq());
                return update.executeUpdate();
            });
            return new HandleResult.Done();
        });
    }

    @Override
    public OptionalLong purge(String queue, Instant now) {
        return database.write(connection -> {
            if (queueRow(connection, queue) == null) {
                return OptionalLong.empty();
            }
            long nowNanos = Times.nanos(now);
            long live = count(connection, queue, nowNanos);
            database.withStatement(connection, "DELETE FROM queue_messages WHERE queue = ?", delete -> {
                delete.setString(1, queue);
                return delete.executeUpdate();
            });
            return OptionalLong.of(live);
        });
    }

    @Override
    public OptionalLong redrive(String deadLetterQueue, Instant now) {
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            if (queueRow(connection, deadLetterQueue) == null) {
                return OptionalLong.empty();
            }
            purgeExpired(connection, deadLetterQueue, nowNanos);
            // Back to each message's source, where that still exists, with the source's retention.
            return OptionalLong.of(database.withStatement(connection, """
                    UPDATE queue_messages SET queue = source_queue, source_queue = NULL, receive_count = 0,
                        first_received_at_ns = NULL, receipt = NULL, visible_at_ns = ?1,
                        expires_at_ns = sent_at_ns + (SELECT retention_ns FROM queues WHERE name = source_queue)
                    WHERE queue = ?2 AND source_queue IN (SELECT name FROM queues)""", update -> {
                update.setLong(1, nowNanos);
                update.setString(2, deadLetterQueue);
                return (long) update.executeUpdate();
            }));
        });
    }

    @Override
    public Optional<Instant> nextVisibleAt(String queue, Instant now) {
        long nowNanos = Times.nanos(now);
        return database.read(connection -> database.withStatement(connection, """
                SELECT MIN(visible_at_ns) FROM queue_messages
                WHERE queue = ?1 AND visible_at_ns > ?2 AND expires_at_ns > ?2""", select -> {
            select.setString(1, queue);
            select.setLong(2, nowNanos);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                long at = rows.getLong(1);
                return rows.wasNull() ? Optional.empty() : Optional.of(Times.instant(at));
            }
        }));
    }

    /** Live messages of the queue, by the index on expiry. */
    private long count(Connection connection, String queue, long nowNanos) throws SQLException {
        return database.withStatement(connection,
                "SELECT COUNT(*) FROM queue_messages WHERE queue = ? AND expires_at_ns > ?", select -> {
                    select.setString(1, queue);
                    select.setLong(2, nowNanos);
                    try (ResultSet rows = select.executeQuery()) {
                        rows.next();
                        return rows.getLong(1);
                    }
                });
    }

    private void purgeExpired(Connection connection, String queue, long nowNanos) throws SQLException {
        database.withStatement(connection, PURGE_EXPIRED, delete -> {
            delete.setString(1, queue);
            delete.setLong(2, nowNanos);
            return delete.executeUpdate();
        });
    }

    private QueueInfo info(Connection connection, QueueRow row, long nowNanos) throws SQLException {
        return database.withStatement(connection, FIGURES, select -> {
            select.setLong(1, nowNanos);
            select.setString(2, row.name());
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                long oldest = rows.getLong(4);
                Optional<Duration> age = rows.wasNull() ? Optional.empty()
                        : Optional.of(Duration.ofNanos(Math.max(0, nowNanos - oldest)));
                return new QueueInfo(row.name(), row.options(), rows.getLong(1), rows.getLong(2), rows.getLong(3), age,
                        Times.instant(row.createdAtNanos()));
            }
        });
    }

    private static QueueInfo emptyInfo(QueueRow row) {
        return new QueueInfo(row.name(), row.options(), 0, 0, 0, Optional.empty(), Times.instant(row.createdAtNanos()));
    }

    private QueueRow queueRow(Connection connection, String queue) throws SQLException {
        return database.withStatement(connection, SELECT_QUEUE, select -> {
            select.setString(1, queue);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? queueRow(rows) : null;
            }
        });
    }

    private static QueueRow queueRow(ResultSet rows) throws SQLException {
        var options = new QueueOptions(Duration.ofNanos(rows.getLong("visibility_timeout_ns")),
                Duration.ofNanos(rows.getLong("retention_ns")), rows.getInt("max_message_bytes"),
                Duration.ofNanos(rows.getLong("delay_ns")), rows.getInt("max_receive_count"),
                Optional.ofNullable(rows.getString("dead_letter_queue")), rows.getLong("max_messages"));
        return new QueueRow(rows.getString("name"), options, rows.getLong("created_at_ns"));
    }

    private void insertQueue(Connection connection, QueueRow row) throws SQLException {
        QueueOptions options = row.options();
        database.withStatement(connection, INSERT_QUEUE, insert -> {
            insert.setString(1, row.name());
            insert.setLong(2, Times.nanos(options.visibilityTimeout()));
            insert.setLong(3, Times.nanos(options.retention()));
            insert.setInt(4, options.maxMessageBytes());
            insert.setLong(5, Times.nanos(options.delay()));
            insert.setInt(6, options.maxReceiveCount());
            if (options.deadLetterQueue().isPresent()) {
                insert.setString(7, options.deadLetterQueue().get());
            } else {
                insert.setNull(7, Types.VARCHAR);
            }
            insert.setLong(8, options.maxMessages());
            insert.setLong(9, row.createdAtNanos());
            return insert.executeUpdate();
        });
    }
}
