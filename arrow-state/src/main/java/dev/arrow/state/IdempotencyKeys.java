package dev.arrow.state;

import dev.arrow.platform.IdempotencyKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * The {@code idempotency_keys} table, for the stores that write a key in the transaction of what
 * it made: one row per (kind of call, arrow, key), naming the invocation or the revision it made.
 */
final class IdempotencyKeys {

    /** A kind of call, and the column that holds what a call of that kind made. */
    record Kind<T>(String name, String column, Reader<T> reader, Writer<T> writer) {
    }

    @FunctionalInterface
    interface Reader<T> {
        T read(ResultSet rows, String column) throws SQLException;
    }

    @FunctionalInterface
    interface Writer<T> {
        void write(PreparedStatement statement, int index, T value) throws SQLException;
    }

    static final Kind<String> INVOKE = new Kind<>("invoke", "invocation", ResultSet::getString,
            PreparedStatement::setString);
    static final Kind<Integer> DEPLOY = new Kind<>("deploy", "revision", ResultSet::getInt, PreparedStatement::setInt);

    private IdempotencyKeys() {
    }

    /**
     * The use that holds {@code key} of {@code arrow}: empty when none does, or when the one that
     * does is {@code replacing}, which is then deleted for the caller to {@link #insert} its own.
     */
    static <T> Optional<IdempotencyKey.Use<T>> holder(Connection connection, Kind<T> kind, String arrow,
            IdempotencyKey key, Optional<IdempotencyKey.Use<T>> replacing) throws SQLException {
        Optional<IdempotencyKey.Use<T>> held;
        try (var select = connection.prepareStatement("SELECT fingerprint, used_at_ns, " + kind.column()
                + " FROM idempotency_keys WHERE kind = ? AND arrow = ? AND client_key = ?")) {
            select.setString(1, kind.name());
            select.setString(2, arrow);
            select.setString(3, key.key());
            try (ResultSet rows = select.executeQuery()) {
                held = rows.next()
                        ? Optional.of(new IdempotencyKey.Use<>(rows.getString("fingerprint"),
                                Times.instant(rows.getLong("used_at_ns")), kind.reader().read(rows, kind.column())))
                        : Optional.empty();
            }
        }
        if (held.isEmpty() || !held.equals(replacing)) {
            return held;
        }
        try (var delete = connection.prepareStatement(
                "DELETE FROM idempotency_keys WHERE kind = ? AND arrow = ? AND client_key = ?")) {
            delete.setString(1, kind.name());
            delete.setString(2, arrow);
            delete.setString(3, key.key());
            delete.executeUpdate();
        }
        return Optional.empty();
    }

    /** Stores the use of {@code key} of {@code arrow} that made {@code result}; the key must be free ({@link #holder}). */
    static <T> void insert(Connection connection, Kind<T> kind, String arrow, IdempotencyKey key, Instant at, T result)
            throws SQLException {
        try (var insert = connection.prepareStatement("INSERT INTO idempotency_keys (kind, arrow, client_key,"
                + " fingerprint, used_at_ns, " + kind.column() + ") VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, kind.name());
            insert.setString(2, arrow);
            insert.setString(3, key.key());
            insert.setString(4, key.fingerprint());
            insert.setLong(5, Times.nanos(at));
            kind.writer().write(insert, 6, result);
            insert.executeUpdate();
        }
    }

    /** Deletes the keys of {@code kind} first used before {@code cutoff}; returns how many. */
    static int deleteBefore(Database database, Kind<?> kind, Instant cutoff) {
        long cutoffNanos = Times.nanos(cutoff);
        return database.write(connection -> {
            try (var delete = connection.prepareStatement(
                    "DELETE FROM idempotency_keys WHERE kind = ? AND used_at_ns < ?")) {
                delete.setString(1, kind.name());
                delete.setLong(2, cutoffNanos);
                return delete.executeUpdate();
            }
        });
    }
}
