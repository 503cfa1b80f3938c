package dev.arrow.state;

import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.ArrowStore;
import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.arrows.Revision;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Arrows and their revisions in the {@code arrows} and {@code revisions} tables.
 *
 * <p>Every invocation looks up its arrow and traffic revision; both are kept in memory, since this
 * store is the only writer of its file (one node per file) and drops an arrow's entries when it
 * writes that arrow. A read that raced with such a write is not cached (see {@link #remember}).
 */
final class SqliteArrowStore implements ArrowStore {

    private record RevisionKey(String arrow, int number) {
    }

    private static final String SUMMARY = """
            SELECT name, traffic_revision, created_at_ns, updated_at_ns,
                   (SELECT MAX(number) FROM revisions WHERE arrow = arrows.name) AS latest_revision
            FROM arrows""";

    private final Database database;
    private final Map<String, ArrowSummary> summaries = new ConcurrentHashMap<>();
    private final Map<RevisionKey, Revision> revisionCache = new ConcurrentHashMap<>();
    private final Object cacheLock = new Object();
    private long generation; // guarded by cacheLock: counts writes

    SqliteArrowStore(Database database) {
        this.database = database;
    }

    private long generation() {
        synchronized (cacheLock) {
            return generation;
        }
    }

    /** Caches what a read found, unless a write happened since the read began. */
    private <K, V> void remember(Map<K, V> cache, K key, V value, long readGeneration) {
        synchronized (cacheLock) {
            if (generation == readGeneration) {
                cache.put(key, value);
            }
        }
    }

    /** After a write of {@code name}: its cached summary, and with {@code revisionsToo} its revisions, go. */
    private void forget(String name, boolean revisionsToo) {
        synchronized (cacheLock) {
            generation++;
            summaries.remove(name);
            if (revisionsToo) {
                revisionCache.keySet().removeIf(key -> key.arrow().equals(name));
            }
        }
    }

    @Override
    public Revision addRevision(ArrowSpec spec, Instant now) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(now, "now");
        String json = SpecCodec.encode(spec);
        int number = database.write(connection -> insertRevision(connection, spec, json, now));
        forget(spec.name(), false);
        return new Revision(spec.name(), number, spec, now);
    }

    @Override
    public Optional<IdempotencyKey.Use<Integer>> addRevision(ArrowSpec spec, Instant now, IdempotencyKey key,
            Optional<IdempotencyKey.Use<Integer>> replacing) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(key, "key");
        String json = SpecCodec.encode(spec);
        Optional<IdempotencyKey.Use<Integer>> held = database.write(connection -> {
            Optional<IdempotencyKey.Use<Integer>> holder = IdempotencyKeys.holder(connection, IdempotencyKeys.DEPLOY,
                    spec.name(), key, replacing);
            if (holder.isEmpty()) {
                int number = insertRevision(connection, spec, json, now);
                IdempotencyKeys.insert(connection, IdempotencyKeys.DEPLOY, spec.name(), key, now, number);
            }
            return holder;
        });
        if (held.isEmpty()) {
            forget(spec.name(), false);
        }
        return held;
    }

    /**
     * Inserts the arrow's next revision and routes traffic to it; returns its number. In one
     * transaction on the single writer, the max+1 read and both inserts cannot interleave with
     * another deploy, here or (thanks to BEGIN IMMEDIATE) in another process.
     */
    private static int insertRevision(Connection connection, ArrowSpec spec, String json, Instant now)
            throws SQLException {
        long at = Times.nanos(now);
        int next;
        try (var select = connection.prepareStatement(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE arrow = ?")) {
            select.setString(1, spec.name());
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                next = rows.getInt(1);
            }
        }
        try (var upsert = connection.prepareStatement("""
                INSERT INTO arrows (name, traffic_revision, created_at_ns, updated_at_ns) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET traffic_revision = excluded.traffic_revision,
                                                 updated_at_ns = excluded.updated_at_ns""")) {
            upsert.setString(1, spec.name());
            upsert.setInt(2, next);
            upsert.setLong(3, at);
            upsert.setLong(4, at);
            upsert.executeUpdate();
        }
        try (var insert = connection.prepareStatement(
                "INSERT INTO revisions (arrow, number, spec, created_at_ns) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, spec.name());
            insert.setInt(2, next);
            insert.setString(3, json);
            insert.setLong(4, at);
            insert.executeUpdate();
        }
        return next;
    }

    @Override
    public Optional<ArrowSummary> arrow(String name) {
        ArrowSummary cached = summaries.get(name);
        if (cached != null) {
            return Optional.of(cached);
        }
        long readGeneration = generation();
        // Absent names are not cached: anyone may ask for any number of them.
        Optional<ArrowSummary> found = database.read(connection -> {
            try (var select = connection.prepareStatement(SUMMARY + " WHERE name = ?")) {
                select.setString(1, name);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(summary(rows)) : Optional.empty();
                }
            }
        });
        found.ifPresent(summary -> remember(summaries, name, summary, readGeneration));
        return found;
    }

    @Override
    public List<ArrowSummary> arrows() {
        return database.read(connection -> {
            try (var select = connection.prepareStatement(SUMMARY + " ORDER BY name");
                 ResultSet rows = select.executeQuery()) {
                var summaries = new ArrayList<ArrowSummary>();
                while (rows.next()) {
                    summaries.add(summary(rows));
                }
                return List.copyOf(summaries);
            }
        });
    }

    private static ArrowSummary summary(ResultSet rows) throws SQLException {
        return new ArrowSummary(rows.getString("name"), rows.getInt("latest_revision"), rows.getInt("traffic_revision"),
                Times.instant(rows.getLong("created_at_ns")), Times.instant(rows.getLong("updated_at_ns")));
    }

    @Override
    public Optional<Revision> revision(String name, int number) {
        var key = new RevisionKey(name, number);
        Revision cached = revisionCache.get(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        long readGeneration = generation();
        Optional<Revision> found = database.read(connection -> {
            try (var select = connection.prepareStatement(
                    "SELECT arrow, number, spec, created_at_ns FROM revisions WHERE arrow = ? AND number = ?")) {
                select.setString(1, name);
                select.setInt(2, number);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(revision(rows)) : Optional.empty();
                }
            }
        });
        found.ifPresent(revision -> remember(revisionCache, key, revision, readGeneration));
        return found;
    }

    @Override
    public List<Revision> revisions(String name) {
        return database.read(connection -> {
            try (var select = connection.prepareStatement(
                    "SELECT arrow, number, spec, created_at_ns FROM revisions WHERE arrow = ? ORDER BY number DESC")) {
                select.setString(1, name);
                try (ResultSet rows = select.executeQuery()) {
                    var revisions = new ArrayList<Revision>();
                    while (rows.next()) {
                        revisions.add(revision(rows));
                    }
                    return List.copyOf(revisions);
                }
            }
        });
    }

    private static Revision revision(ResultSet rows) throws SQLException {
        return new Revision(rows.getString("arrow"), rows.getInt("number"), SpecCodec.decode(rows.getString("spec")),
                Times.instant(rows.getLong("created_at_ns")));
    }

    @Override
    public boolean route(String name, int revision, Instant now) {
        long at = Times.nanos(now);
        boolean routed = database.write(connection -> {
            try (var update = connection.prepareStatement("""
                    UPDATE arrows SET traffic_revision = ?, updated_at_ns = ?
                    WHERE name = ? AND EXISTS (SELECT 1 FROM revisions WHERE arrow = ? AND number = ?)""")) {
                update.setInt(1, revision);
                update.setLong(2, at);
                update.setString(3, name);
                update.setString(4, name);
                update.setInt(5, revision);
                return update.executeUpdate() == 1;
            }
        });
        forget(name, false);
        return routed;
    }

    @Override
    public boolean delete(String name) {
        // Revisions go with it (ON DELETE CASCADE); invocations have no foreign key and stay. Its
        // deploys' keys go too: they name revisions, and a new arrow of this name numbers from 1.
        boolean deleted = database.write(connection -> {
            try (var keys = connection.prepareStatement(
                    "DELETE FROM idempotency_keys WHERE kind = 'deploy' AND arrow = ?")) {
                keys.setString(1, name);
                keys.executeUpdate();
            }
            try (var delete = connection.prepareStatement("DELETE FROM arrows WHERE name = ?")) {
                delete.setString(1, name);
                return delete.executeUpdate() == 1;
            }
        });
        forget(name, true);
        return deleted;
    }

    @Override
    public int deleteKeysBefore(Instant cutoff) {
        return IdempotencyKeys.deleteBefore(database, IdempotencyKeys.DEPLOY, cutoff);
    }
}
