package dev.arrow.state;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The tables, as a list of migrations. {@code PRAGMA user_version} holds how many have been
 * applied; each one runs in its own transaction together with the bump of that number, so a crash
 * never leaves a half-migrated file. Never edit a released migration: append a new one.
 *
 * <p>Conventions: instants are INTEGER nanoseconds since the epoch (exact for the JDK clock, and
 * comparable in SQL; the range is the years 1677 to 2262), durations INTEGER nanoseconds,
 * booleans INTEGER 0/1, enums their Java names.
 */
final class Schema {

    private Schema() {
    }

    static final List<List<String>> MIGRATIONS = List.of(
            List.of(
                    // traffic_revision must name one of the arrow's revisions; checked at commit
                    // because a deploy writes the arrow before its first revision.
                    """
                    CREATE TABLE arrows (
                        name             TEXT    NOT NULL PRIMARY KEY,
                        traffic_revision INTEGER NOT NULL,
                        created_at_ns    INTEGER NOT NULL,
                        updated_at_ns    INTEGER NOT NULL,
                        FOREIGN KEY (name, traffic_revision) REFERENCES revisions (arrow, number)
                            DEFERRABLE INITIALLY DEFERRED
                    ) STRICT""",
                    // The spec is JSON (SpecCodec): always read and written whole, never queried by
                    // field, and new spec fields need no migration.
                    """
                    CREATE TABLE revisions (
                        arrow         TEXT    NOT NULL REFERENCES arrows (name) ON DELETE CASCADE,
                        number        INTEGER NOT NULL,
                        spec          TEXT    NOT NULL,
                        created_at_ns INTEGER NOT NULL,
                        PRIMARY KEY (arrow, number)
                    ) STRICT, WITHOUT ROWID""",
                    // No foreign key to arrows: records outlive their arrow. The execution columns
                    // are NULL until the invocation finishes; the blobs come last so that reading
                    // the other columns never touches their overflow pages.
                    """
                    CREATE TABLE invocations (
                        id                 TEXT    NOT NULL PRIMARY KEY,
                        arrow              TEXT    NOT NULL,
                        revision           INTEGER NOT NULL,
                        trigger            TEXT    NOT NULL,
                        status             TEXT    NOT NULL,
                        accepted_at_ns     INTEGER NOT NULL,
                        started_at_ns      INTEGER,
                        attempts           INTEGER NOT NULL,
                        run_started_at_ns  INTEGER,
                        cold               INTEGER,
                        init_ns            INTEGER,
                        duration_ns        INTEGER,
                        outcome            TEXT,
                        exit_code          INTEGER,
                        signal             INTEGER,
                        reason             TEXT,
                        detail             TEXT,
                        error              TEXT,
                        cpu_user_ns        INTEGER,
                        cpu_system_ns      INTEGER,
                        peak_memory_bytes  INTEGER,
                        memory_limit_bytes INTEGER,
                        billed_ns          INTEGER,
                        gb_seconds         REAL,
                        output_bytes       INTEGER,
                        log_bytes          INTEGER,
                        log_truncated      INTEGER,
                        input              BLOB,
                        output             BLOB,
                        log                TEXT
                    ) STRICT""",
                    "CREATE INDEX invocations_by_arrow ON invocations (arrow, id)",
                    // Serves list by status and, through status IN (queued, running), recovery.
                    "CREATE INDEX invocations_by_status ON invocations (status, id)"),
            // http mode: the instance that served an invocation
            List.of("ALTER TABLE invocations ADD COLUMN instance TEXT"),
            // The kind of a run's error, its API error code. Rows written before it had only the
            // message, whose wording then told the kind: read once, here.
            List.of("ALTER TABLE invocations ADD COLUMN error_code TEXT",
                    """
                    UPDATE invocations SET error_code = CASE
                        WHEN error LIKE 'the handler failed%' THEN 'handler_error'
                        WHEN error LIKE 'the output is larger than%' THEN 'output_too_large'
                        WHEN error LIKE 'the client closed the connection%' THEN 'abandoned'
                        ELSE 'instance_failed' END
                    WHERE error IS NOT NULL"""),
            // Idempotency keys, scoped by the kind of call and the arrow. An async invocation's key
            // is written in the transaction that accepts it, a deploy's with its revision, a sync
            // invocation's before it runs (its record comes at the end). No foreign keys: a sync
            // key comes before its record, and records and keys are swept on their own schedules.
            List.of("""
                    CREATE TABLE idempotency_keys (
                        kind        TEXT    NOT NULL CHECK (kind IN ('invoke', 'deploy')),
                        arrow       TEXT    NOT NULL,
                        client_key  TEXT    NOT NULL,
                        fingerprint TEXT    NOT NULL,
                        used_at_ns  INTEGER NOT NULL,
                        invocation  TEXT,
                        revision    INTEGER,
                        PRIMARY KEY (kind, arrow, client_key),
                        CHECK ((kind = 'invoke') = (invocation IS NOT NULL)),
                        CHECK ((kind = 'deploy') = (revision IS NOT NULL))
                    ) STRICT, WITHOUT ROWID""",
                    "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (used_at_ns)"),
            // Key-value stores. A store's row keeps its sequence (the last revision it gave) and
            // its live bytes and keys, updated in each write's transaction, so that caps are
            // checked without counting. Keys are BLOBs of UTF-8: compared bytewise, so a prefix
            // is a range. Entries are a rowid table, not WITHOUT ROWID, because a value may be
            // up to 1 MiB; the value comes last so that listing never reads its overflow pages.
            // Expired rows stay until a write or a sweep removes them; reads skip them.
            List.of("""
                    CREATE TABLE kv_stores (
                        name          TEXT    NOT NULL PRIMARY KEY,
                        max_bytes     INTEGER NOT NULL,
                        max_keys      INTEGER NOT NULL,
                        revision      INTEGER NOT NULL,
                        byte_count    INTEGER NOT NULL,
                        key_count     INTEGER NOT NULL,
                        created_at_ns INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID""",
                    """
                    CREATE TABLE kv_entries (
                        store          TEXT    NOT NULL REFERENCES kv_stores (name) ON DELETE CASCADE,
                        key            BLOB    NOT NULL,
                        revision       INTEGER NOT NULL,
                        size           INTEGER NOT NULL,
                        modified_at_ns INTEGER NOT NULL,
                        expires_at_ns  INTEGER,
                        value          BLOB    NOT NULL,
                        PRIMARY KEY (store, key)
                    ) STRICT""",
                    "CREATE INDEX kv_entries_by_expiry ON kv_entries (store, expires_at_ns) WHERE expires_at_ns IS NOT NULL"),
            // Queues. A queue's row holds its options (dead_letter_queue NULL and
            // max_receive_count 0 when it has none). A message's seq is its rowid, in sending
            // order; visible_at_ns is its send plus its delay, then its last receive plus the
            // visibility timeout; receipt the token of its latest receive (NULL before the first
            // and after a redrive), so in flight is "visible_at_ns > now AND receipt IS NOT NULL".
            // expires_at_ns is sent_at_ns plus the retention of the queue it is in. source_queue
            // is the queue a dead letter came from. The body comes last, off the indexed columns.
            List.of("""
                    CREATE TABLE queues (
                        name                  TEXT    NOT NULL PRIMARY KEY,
                        visibility_timeout_ns INTEGER NOT NULL,
                        retention_ns          INTEGER NOT NULL,
                        max_message_bytes     INTEGER NOT NULL,
                        delay_ns              INTEGER NOT NULL,
                        max_receive_count     INTEGER NOT NULL,
                        dead_letter_queue     TEXT,
                        max_messages          INTEGER NOT NULL,
                        created_at_ns         INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID""",
                    """
                    CREATE TABLE queue_messages (
                        seq                  INTEGER PRIMARY KEY,
                        queue                TEXT    NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
                        id                   TEXT    NOT NULL UNIQUE,
                        sent_at_ns           INTEGER NOT NULL,
                        visible_at_ns        INTEGER NOT NULL,
                        expires_at_ns        INTEGER NOT NULL,
                        receive_count        INTEGER NOT NULL,
                        first_received_at_ns INTEGER,
                        receipt              TEXT,
                        source_queue         TEXT,
                        body                 BLOB    NOT NULL
                    ) STRICT""",
                    // The next visible messages of a queue: by visible_at_ns, then seq (the rowid,
                    // which every index entry ends with).
                    "CREATE INDEX queue_messages_by_visibility ON queue_messages (queue, visible_at_ns)",
                    "CREATE INDEX queue_messages_by_expiry ON queue_messages (queue, expires_at_ns)"),
            // The S3 listener's access keys. The secret is kept as it is: SigV4 needs it to compute
            // each request's HMAC (the file is mode 0600).
            List.of("""
                    CREATE TABLE access_keys (
                        id            TEXT    NOT NULL PRIMARY KEY,
                        name          TEXT,
                        secret        TEXT    NOT NULL,
                        created_at_ns INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID"""),
            // The object store's metadata; bodies are files under objects/data named by the body
            // column, written and synced before their row commits. Keys are BLOBs of UTF-8:
            // compared bytewise as S3 lists them, so a prefix is a range. metadata is a JSON
            // object of the user's x-amz-meta-* (names without the prefix). Parts belong to an
            // upload and go with it; uploads and objects go with their bucket.
            List.of("""
                    CREATE TABLE buckets (
                        name          TEXT    NOT NULL PRIMARY KEY,
                        created_at_ns INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID""",
                    """
                    CREATE TABLE objects (
                        bucket         TEXT    NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
                        key            BLOB    NOT NULL,
                        size           INTEGER NOT NULL,
                        etag           TEXT    NOT NULL,
                        content_type   TEXT    NOT NULL,
                        metadata       TEXT    NOT NULL,
                        modified_at_ns INTEGER NOT NULL,
                        body           TEXT    NOT NULL UNIQUE,
                        PRIMARY KEY (bucket, key)
                    ) STRICT, WITHOUT ROWID""",
                    """
                    CREATE TABLE object_uploads (
                        id              TEXT    NOT NULL PRIMARY KEY,
                        bucket          TEXT    NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
                        key             BLOB    NOT NULL,
                        content_type    TEXT    NOT NULL,
                        metadata        TEXT    NOT NULL,
                        initiated_at_ns INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID""",
                    "CREATE INDEX object_uploads_by_bucket ON object_uploads (bucket, key)",
                    """
                    CREATE TABLE object_parts (
                        upload         TEXT    NOT NULL REFERENCES object_uploads (id) ON DELETE CASCADE,
                        number         INTEGER NOT NULL,
                        size           INTEGER NOT NULL,
                        etag           TEXT    NOT NULL,
                        modified_at_ns INTEGER NOT NULL,
                        body           TEXT    NOT NULL UNIQUE,
                        PRIMARY KEY (upload, number)
                    ) STRICT, WITHOUT ROWID"""),
            // The broker's events, unique by CloudEvents' (source, id), and the deliveries each owes;
            // a delivery is PENDING until DELIVERED or DEAD_LETTERED.
            List.of("""
                    CREATE TABLE events (
                        seq            INTEGER PRIMARY KEY,
                        source         TEXT    NOT NULL,
                        id             TEXT    NOT NULL,
                        type           TEXT    NOT NULL,
                        accepted_at_ns INTEGER NOT NULL,
                        structured     BLOB    NOT NULL,
                        UNIQUE (source, id)
                    ) STRICT""",
                    "CREATE INDEX events_by_type ON events (type, seq)",
                    """
                    CREATE TABLE event_deliveries (
                        id                  INTEGER PRIMARY KEY,
                        event_seq           INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
                        arrow               TEXT    NOT NULL,
                        trigger_index       INTEGER NOT NULL,
                        serial_key          TEXT,
                        status              TEXT    NOT NULL,
                        failures            INTEGER NOT NULL,
                        not_before_ns       INTEGER NOT NULL,
                        settled_at_ns       INTEGER,
                        last_error          TEXT,
                        dead_letter_queue   TEXT,
                        dead_letter_message TEXT
                    ) STRICT""",
                    "CREATE INDEX event_deliveries_due ON event_deliveries (not_before_ns) WHERE status = 'PENDING'",
                    "CREATE INDEX event_deliveries_by_event ON event_deliveries (event_seq)"),
            // Flows. A flow's row keeps the last revision number it gave, so numbers go on after
            // a delete and after its revisions are purged. A delete marks the flow's revisions
            // deleted; they stay while runs are pinned to them. Sources, inputs, outputs and
            // errors are JSON (or YAML) text, last in their rows, off the indexed columns. No
            // foreign keys from runs or steps: a purge deletes a run's steps with it.
            List.of("""
                    CREATE TABLE flows (
                        name          TEXT    NOT NULL PRIMARY KEY,
                        last_revision INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID""",
                    """
                    CREATE TABLE flow_revisions (
                        flow           TEXT    NOT NULL,
                        revision       INTEGER NOT NULL,
                        language       TEXT    NOT NULL,
                        deployed_at_ns INTEGER NOT NULL,
                        deleted        INTEGER NOT NULL,
                        source         TEXT    NOT NULL,
                        PRIMARY KEY (flow, revision)
                    ) STRICT""",
                    """
                    CREATE TABLE flow_runs (
                        id            TEXT    NOT NULL PRIMARY KEY,
                        flow          TEXT    NOT NULL,
                        revision      INTEGER NOT NULL,
                        status        TEXT    NOT NULL,
                        redrives      INTEGER NOT NULL,
                        started_at_ns INTEGER NOT NULL,
                        ended_at_ns   INTEGER,
                        started_by    TEXT    NOT NULL,
                        input         TEXT    NOT NULL,
                        output        TEXT,
                        error         TEXT
                    ) STRICT""",
                    "CREATE INDEX flow_runs_by_flow ON flow_runs (flow, started_at_ns)",
                    "CREATE INDEX flow_runs_by_status ON flow_runs (status, started_at_ns)",
                    "CREATE INDEX flow_runs_by_start ON flow_runs (started_at_ns)",
                    // What a purge looks for: finished runs by when they ended.
                    "CREATE INDEX flow_runs_by_end ON flow_runs (ended_at_ns) WHERE ended_at_ns IS NOT NULL",
                    """
                    CREATE TABLE flow_steps (
                        run           TEXT    NOT NULL,
                        path          TEXT    NOT NULL,
                        kind          TEXT    NOT NULL,
                        attempt       INTEGER NOT NULL,
                        status        TEXT    NOT NULL,
                        due_at_ns     INTEGER,
                        started_at_ns INTEGER NOT NULL,
                        ended_at_ns   INTEGER,
                        redrive       INTEGER NOT NULL,
                        input         TEXT    NOT NULL,
                        output        TEXT,
                        error         TEXT,
                        PRIMARY KEY (run, path)
                    ) STRICT""",
                    "CREATE INDEX flow_steps_by_run ON flow_steps (run, started_at_ns, path)"),
            // The VM tier: the tier a run was in and, for a VM, its accelerator (kvm, tcg). Rows
            // written before it ran in the process tier, as NULL reads.
            List.of("ALTER TABLE invocations ADD COLUMN isolation TEXT",
                    "ALTER TABLE invocations ADD COLUMN accelerator TEXT"));

    /** The schema version this code writes. */
    static int currentVersion() {
        return MIGRATIONS.size();
    }

    static void migrate(Connection connection) throws SQLException {
        int version = version(connection);
        if (version > currentVersion()) {
            throw new IllegalStateException("the state database has schema version " + version
                    + " but this Arrow knows only up to " + currentVersion() + ": it was written by a newer Arrow");
        }
        for (int next = version; next < currentVersion(); next++) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
                try {
                    // Another process may have migrated while we waited for the lock.
                    if (version(connection) == next) {
                        for (String sql : MIGRATIONS.get(next)) {
                            statement.execute(sql);
                        }
                        statement.execute("PRAGMA user_version = " + (next + 1));
                    }
                    statement.execute("COMMIT");
                } catch (SQLException | RuntimeException e) {
                    statement.execute("ROLLBACK");
                    throw e;
                }
            }
        }
    }

    static int version(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("PRAGMA user_version")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
