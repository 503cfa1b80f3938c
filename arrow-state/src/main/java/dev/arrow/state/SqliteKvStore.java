package dev.arrow.state;

import dev.arrow.services.kv.Condition;
import dev.arrow.services.kv.KeyInfo;
import dev.arrow.services.kv.KvEntry;
import dev.arrow.services.kv.KvPage;
import dev.arrow.services.kv.KvStore;
import dev.arrow.services.kv.StoreInfo;
import dev.arrow.services.kv.StoreOptions;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Key-value stores in the {@code kv_stores} and {@code kv_entries} tables (see {@link Schema}).
 *
 * <p>Every write is one synced, group-committed transaction ({@link Database#write}): its caller
 * learns its revision only once it is on disk. A store's row holds its sequence and its bytes and
 * keys, counted with the entries that have expired but are not removed yet; each write updates
 * them with the entries it writes or removes, in its own transaction, so a cap is checked
 * without counting. Expired entries are skipped by every read, and removed by the writes that
 * meet them: the key's own put or delete replaces it, a write that would pass a cap first
 * removes the store's expired entries, and {@link #sweep} removes them a batch at a time.
 */
final class SqliteKvStore implements KvStore {

    /** The most expired entries a write that hits a cap removes before it checks again. */
    static final int PURGE_ON_CAP = 10_000;

    private static final String STORE_COLUMNS = "name, max_bytes, max_keys, revision, byte_count, key_count, created_at_ns";
    private static final String SELECT_STORE = "SELECT " + STORE_COLUMNS + " FROM kv_stores WHERE name = ?";
    private static final String SELECT_ENTRY = """
            SELECT revision, size, expires_at_ns FROM kv_entries WHERE store = ? AND key = ?""";
    private static final String UPSERT_ENTRY = """
            INSERT INTO kv_entries (store, key, revision, size, modified_at_ns, expires_at_ns, value)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (store, key) DO UPDATE SET revision = excluded.revision, size = excluded.size,
                modified_at_ns = excluded.modified_at_ns, expires_at_ns = excluded.expires_at_ns,
                value = excluded.value""";
    private static final String INSERT_STORE = """
            INSERT INTO kv_stores (name, max_bytes, max_keys, revision, byte_count, key_count, created_at_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?)""";
    private static final String UPDATE_STORE = """
            UPDATE kv_stores SET revision = ?, byte_count = ?, key_count = ? WHERE name = ?""";
    private static final String DELETE_ENTRY = "DELETE FROM kv_entries WHERE store = ? AND key = ?";
    private static final String EXPIRED_TOTALS = """
            SELECT COUNT(*), COALESCE(SUM(length(key) + size), 0) FROM kv_entries
            WHERE store = ? AND expires_at_ns <= ?""";
    private static final String LIST_COLUMNS = "SELECT key, revision, size, modified_at_ns, expires_at_ns FROM kv_entries";

    /** A store's row: its caps, its sequence, and its counts with expired entries not yet removed. */
    private record StoreRow(String name, long maxBytes, long maxKeys, long revision, long bytes, long keys,
            long createdAtNanos) {

        StoreOptions options() {
            return new StoreOptions(maxBytes, maxKeys);
        }

        /** The counts once {@code entry} is removed. */
        StoreRow without(EntryRow entry) {
            return new StoreRow(name, maxBytes, maxKeys, revision, bytes - entry.charge(), keys - 1, createdAtNanos);
        }

        StoreInfo info(long expiredBytes, long expiredKeys) {
            return new StoreInfo(name, options(), bytes - expiredBytes, keys - expiredKeys, revision,
                    Times.instant(createdAtNanos));
        }
    }

    /** A key's row without its value; {@code charge} is what it counts against the store's bytes. */
    private record EntryRow(long revision, long charge, OptionalLong expiresAtNanos) {
        boolean liveAt(long nowNanos) {
            return expiresAtNanos.isEmpty() || expiresAtNanos.getAsLong() > nowNanos;
        }
    }

    private final Database database;

    SqliteKvStore(Database database) {
        this.database = database;
    }

    @Override
    public Created create(String store, StoreOptions options, Instant now) {
        Objects.requireNonNull(options, "options");
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            StoreRow row = storeRow(connection, store);
            if (row != null) {
                return new Created(liveInfo(connection, row, nowNanos), false);
            }
            row = new StoreRow(store, options.maxBytes(), options.maxKeys(), 0, 0, 0, nowNanos);
            insertStore(connection, row);
            return new Created(row.info(0, 0), true);
        });
    }

    @Override
    public Optional<StoreInfo> store(String store, Instant now) {
        long nowNanos = Times.nanos(now);
        return database.read(connection -> {
            StoreRow row = storeRow(connection, store);
            return row == null ? Optional.empty() : Optional.of(liveInfo(connection, row, nowNanos));
        });
    }

    @Override
    public List<StoreInfo> stores(Instant now) {
        long nowNanos = Times.nanos(now);
        return database.read(connection -> {
            var rows = new ArrayList<StoreRow>();
            try (var select = connection.prepareStatement("SELECT " + STORE_COLUMNS + " FROM kv_stores ORDER BY name");
                 ResultSet found = select.executeQuery()) {
                while (found.next()) {
                    rows.add(storeRow(found));
                }
            }
            var infos = new ArrayList<StoreInfo>(rows.size());
            for (StoreRow row : rows) {
                infos.add(liveInfo(connection, row, nowNanos));
            }
            return List.copyOf(infos);
        });
    }

    @Override
    public boolean deleteStore(String store) {
        // Its entries go with it (ON DELETE CASCADE).
        return database.write(connection -> database.withStatement(connection, "DELETE FROM kv_stores WHERE name = ?",
                delete -> {
                    delete.setString(1, store);
                    return delete.executeUpdate() == 1;
                }));
    }

    @Override
    public Optional<KvEntry> get(String store, String key, Instant now) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        long nowNanos = Times.nanos(now);
        return database.read(connection -> database.withStatement(connection, """
                SELECT revision, modified_at_ns, expires_at_ns, value FROM kv_entries WHERE store = ? AND key = ?""",
                select -> {
                    select.setString(1, store);
                    select.setBytes(2, keyBytes);
                    try (ResultSet rows = select.executeQuery()) {
                        if (!rows.next()) {
                            return Optional.empty();
                        }
                        Optional<Instant> expiresAt = Times.optionalInstant(rows, "expires_at_ns");
                        if (expiresAt.isPresent() && Times.nanos(expiresAt.get()) <= nowNanos) {
                            return Optional.empty();
                        }
                        byte[] value = rows.getBytes("value");
                        return Optional.of(new KvEntry(key, value == null ? new byte[0] : value, rows.getLong("revision"),
                                Times.instant(rows.getLong("modified_at_ns")), expiresAt));
                    }
                }));
    }

    @Override
    public PutResult put(String store, String key, byte[] value, Condition condition, Optional<Instant> expiresAt,
            StoreOptions ifNew, Instant now) {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(ifNew, "ifNew");
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        long charge = (long) keyBytes.length + value.length;
        long nowNanos = Times.nanos(now);
        OptionalLong expiresAtNanos = expiresAt.map(at -> OptionalLong.of(Times.nanos(at))).orElse(OptionalLong.empty());
        return database.write(connection -> {
            StoreRow row = storeRow(connection, store);
            boolean creating = row == null;
            if (creating) {
                row = new StoreRow(store, ifNew.maxBytes(), ifNew.maxKeys(), 0, 0, 0, nowNanos);
            }
            EntryRow old = creating ? null : entryRow(connection, store, keyBytes);
            long current = old != null && old.liveAt(nowNanos) ? old.revision() : 0;
            if (!condition.holdsFor(current)) {
                return new PutResult.ConditionFailed(current == 0 ? OptionalLong.empty() : OptionalLong.of(current));
            }
            PutResult refused = capsRefuse(row, old, charge);
            if (refused != null && !creating && purgeExpired(connection, row, nowNanos, PURGE_ON_CAP) > 0) {
                row = storeRow(connection, store);
                old = entryRow(connection, store, keyBytes);
                refused = capsRefuse(row, old, charge);
            }
            if (refused != null) {
                return refused;
            }
            long revision = row.revision() + 1;
            long bytes = row.bytes() - (old == null ? 0 : old.charge()) + charge;
            long keys = row.keys() + (old == null ? 1 : 0);
            if (creating) {
                insertStore(connection, new StoreRow(store, row.maxBytes(), row.maxKeys(), revision, bytes, keys,
                        nowNanos));
            }
            database.withStatement(connection, UPSERT_ENTRY, upsert -> {
                upsert.setString(1, store);
                upsert.setBytes(2, keyBytes);
                upsert.setLong(3, revision);
                upsert.setLong(4, value.length);
                upsert.setLong(5, nowNanos);
                if (expiresAtNanos.isPresent()) {
                    upsert.setLong(6, expiresAtNanos.getAsLong());
                } else {
                    upsert.setNull(6, java.sql.Types.INTEGER);
                }
                upsert.setBytes(7, value);
                return upsert.executeUpdate();
            });
            if (!creating) {
                updateStore(connection, store, revision, bytes, keys);
            }
            return new PutResult.Written(revision, now, expiresAt, creating);
        });
    }

    /** The refusal the caps make of writing {@code charge} bytes over {@code old}; null when they allow it. */
    private static PutResult capsRefuse(StoreRow row, EntryRow old, long charge) {
        if (old == null && row.keys() + 1 > row.maxKeys()) {
            return new PutResult.TooManyKeys(row.info(0, 0));
        }
        long bytes = row.bytes() - (old == null ? 0 : old.charge()) + charge;
        if (bytes > row.maxBytes()) {
            return new PutResult.StoreFull(row.info(0, 0), bytes - row.bytes());
        }
        return null;
    }

    @Override
    public DeleteResult delete(String store, String key, Condition condition, Instant now) {
        Objects.requireNonNull(condition, "condition");
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            StoreRow row = storeRow(connection, store);
            if (row == null) {
                return new DeleteResult.NoStore();
            }
            EntryRow old = entryRow(connection, store, keyBytes);
            if (old != null && !old.liveAt(nowNanos)) {
                // Expired: removed now, as a sweep would, and absent to this delete.
                row = row.without(old);
                deleteEntry(connection, store, keyBytes);
                updateStore(connection, store, row.revision(), row.bytes(), row.keys());
                old = null;
            }
            long current = old == null ? 0 : old.revision();
            if (condition instanceof Condition.Absent || !condition.holdsFor(current)) {
                return new DeleteResult.ConditionFailed(current == 0 ? OptionalLong.empty() : OptionalLong.of(current));
            }
            if (old == null) {
                return new DeleteResult.NoKey();
            }
            long revision = row.revision() + 1;
            row = row.without(old);
            deleteEntry(connection, store, keyBytes);
            updateStore(connection, store, revision, row.bytes(), row.keys());
            return new DeleteResult.Deleted(revision);
        });
    }

    @Override
    public Optional<KvPage> list(String store, String prefix, Optional<String> after, int limit, Instant now) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        // A prefix is the range [prefix, upperBound(prefix)) of the keys' bytes. A bound not needed
        // is left out of the SQL rather than bound as an empty BLOB, which a driver may send as NULL.
        byte[] from = prefix.isEmpty() ? null : prefix.getBytes(StandardCharsets.UTF_8);
        byte[] below = from == null ? null : upperBound(from);
        byte[] past = after.map(key -> key.getBytes(StandardCharsets.UTF_8)).orElse(null);
        String sql = LIST_COLUMNS + " WHERE store = ?" + (from == null ? "" : " AND key >= ?")
                + (below == null ? "" : " AND key < ?") + (past == null ? "" : " AND key > ?")
                + " AND (expires_at_ns IS NULL OR expires_at_ns > ?) ORDER BY key LIMIT ?";
        long nowNanos = Times.nanos(now);
        return database.read(connection -> {
            if (storeRow(connection, store) == null) {
                return Optional.empty();
            }
            return Optional.of(database.withStatement(connection, sql, select -> {
                int i = 0;
                select.setString(++i, store);
                for (byte[] bound : new byte[][] {from, below, past}) {
                    if (bound != null) {
                        select.setBytes(++i, bound);
                    }
                }
                select.setLong(++i, nowNanos);
                select.setInt(++i, limit + 1); // one more than asked tells whether a next page follows
                var keys = new ArrayList<KeyInfo>(Math.min(limit, 1000));
                boolean more = false;
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        if (keys.size() == limit) {
                            more = true;
                            break;
                        }
                        keys.add(new KeyInfo(new String(rows.getBytes("key"), StandardCharsets.UTF_8),
                                rows.getLong("revision"), rows.getLong("size"),
                                Times.instant(rows.getLong("modified_at_ns")),
                                Times.optionalInstant(rows, "expires_at_ns")));
                    }
                }
                return new KvPage(keys, more ? Optional.of(keys.getLast().key()) : Optional.empty());
            }));
        });
    }

    /** The least byte string above every one that starts with {@code prefix}; null when there is none. */
    static byte[] upperBound(byte[] prefix) {
        int end = prefix.length;
        while (end > 0 && prefix[end - 1] == (byte) 0xff) {
            end--; // never in UTF-8, but a bound must not wrap
        }
        if (end == 0) {
            return null;
        }
        byte[] bound = Arrays.copyOf(prefix, end);
        bound[end - 1]++;
        return bound;
    }

    @Override
    public int sweep(Instant now, int max) {
        long nowNanos = Times.nanos(now);
        return database.write(connection -> {
            var names = new ArrayList<String>();
            // Only stores that have an entry with an expiry at all: the partial index has them.
            try (var select = connection.prepareStatement("SELECT name FROM kv_stores WHERE EXISTS (SELECT 1 FROM"
                    + " kv_entries WHERE store = kv_stores.name AND expires_at_ns <= ?) ORDER BY name")) {
                select.setLong(1, nowNanos);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        names.add(rows.getString(1));
                    }
                }
            }
            int removed = 0;
            for (String name : names) {
                if (removed >= max) {
                    break;
                }
                removed += purgeExpired(connection, storeRow(connection, name), nowNanos, max - removed);
            }
            return removed;
        });
    }

    /** Removes up to {@code max} of the store's expired entries, and their counts from its row; returns how many. */
    private int purgeExpired(Connection connection, StoreRow row, long nowNanos, int max) throws SQLException {
        var keys = new ArrayList<byte[]>();
        long charge = database.withStatement(connection, """
                SELECT key, length(key) + size AS charge FROM kv_entries
                WHERE store = ? AND expires_at_ns <= ? LIMIT ?""", select -> {
            select.setString(1, row.name());
            select.setLong(2, nowNanos);
            select.setInt(3, max);
            long total = 0;
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    keys.add(rows.getBytes("key"));
                    total += rows.getLong("charge");
                }
            }
            return total;
        });
        if (keys.isEmpty()) {
            return 0;
        }
        for (byte[] key : keys) {
            deleteEntry(connection, row.name(), key);
        }
        updateStore(connection, row.name(), row.revision(), row.bytes() - charge, row.keys() - keys.size());
        return keys.size();
    }

    private StoreRow storeRow(Connection connection, String store) throws SQLException {
        return database.withStatement(connection, SELECT_STORE, select -> {
            select.setString(1, store);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? storeRow(rows) : null;
            }
        });
    }

    private static StoreRow storeRow(ResultSet rows) throws SQLException {
        return new StoreRow(rows.getString("name"), rows.getLong("max_bytes"), rows.getLong("max_keys"),
                rows.getLong("revision"), rows.getLong("byte_count"), rows.getLong("key_count"),
                rows.getLong("created_at_ns"));
    }

    private EntryRow entryRow(Connection connection, String store, byte[] key) throws SQLException {
        return database.withStatement(connection, SELECT_ENTRY, select -> {
            select.setString(1, store);
            select.setBytes(2, key);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return null;
                }
                long expires = rows.getLong("expires_at_ns");
                OptionalLong expiresAt = rows.wasNull() ? OptionalLong.empty() : OptionalLong.of(expires);
                return new EntryRow(rows.getLong("revision"), key.length + rows.getLong("size"), expiresAt);
            }
        });
    }

    /** The store as its row says, less the entries that have expired by {@code nowNanos}. */
    private StoreInfo liveInfo(Connection connection, StoreRow row, long nowNanos) throws SQLException {
        return database.withStatement(connection, EXPIRED_TOTALS, select -> {
            select.setString(1, row.name());
            select.setLong(2, nowNanos);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return row.info(rows.getLong(2), rows.getLong(1));
            }
        });
    }

    private void insertStore(Connection connection, StoreRow row) throws SQLException {
        database.withStatement(connection, INSERT_STORE, insert -> {
            insert.setString(1, row.name());
            insert.setLong(2, row.maxBytes());
            insert.setLong(3, row.maxKeys());
            insert.setLong(4, row.revision());
            insert.setLong(5, row.bytes());
            insert.setLong(6, row.keys());
            insert.setLong(7, row.createdAtNanos());
            return insert.executeUpdate();
        });
    }

    private void updateStore(Connection connection, String store, long revision, long bytes, long keys)
            throws SQLException {
        database.withStatement(connection, UPDATE_STORE, update -> {
            update.setLong(1, revision);
            update.setLong(2, bytes);
            update.setLong(3, keys);
            update.setString(4, store);
            return update.executeUpdate();
        });
    }

    private void deleteEntry(Connection connection, String store, byte[] key) throws SQLException {
        database.withStatement(connection, DELETE_ENTRY, delete -> {
            delete.setString(1, store);
            delete.setBytes(2, key);
            return delete.executeUpdate();
        });
    }
}
