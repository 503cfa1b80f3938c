package dev.arrow.state;

import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationQuery;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.InvocationStatus;
import dev.arrow.platform.invocations.InvocationStore;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.Trigger;
import dev.arrow.sandbox.Outcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Invocation records, with async inputs, outputs and logs, in the {@code invocations} table. */
final class SqliteInvocationStore implements InvocationStore {

    private static final String FINISH = """
            INSERT INTO invocations (id, arrow, revision, trigger, status, accepted_at_ns, started_at_ns, attempts,
                run_started_at_ns, cold, init_ns, duration_ns, outcome, exit_code, signal, reason, detail, error,
                error_code, cpu_user_ns, cpu_system_ns, peak_memory_bytes, memory_limit_bytes, billed_ns, gb_seconds,
                output_bytes, log_bytes, log_truncated, instance, isolation, accelerator, input, output, log)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                arrow = excluded.arrow, revision = excluded.revision, trigger = excluded.trigger,
                status = excluded.status, accepted_at_ns = excluded.accepted_at_ns,
                started_at_ns = excluded.started_at_ns, attempts = excluded.attempts,
                run_started_at_ns = excluded.run_started_at_ns, cold = excluded.cold,
                init_ns = excluded.init_ns, duration_ns = excluded.duration_ns, outcome = excluded.outcome,
                exit_code = excluded.exit_code, signal = excluded.signal, reason = excluded.reason,
                detail = excluded.detail, error = excluded.error, error_code = excluded.error_code,
                cpu_user_ns = excluded.cpu_user_ns,
                cpu_system_ns = excluded.cpu_system_ns, peak_memory_bytes = excluded.peak_memory_bytes,
                memory_limit_bytes = excluded.memory_limit_bytes, billed_ns = excluded.billed_ns,
                gb_seconds = excluded.gb_seconds, output_bytes = excluded.output_bytes,
                log_bytes = excluded.log_bytes, log_truncated = excluded.log_truncated,
                instance = excluded.instance, isolation = excluded.isolation, accelerator = excluded.accelerator,
                input = NULL, output = excluded.output, log = excluded.log""";

    private static final String RECORD_COLUMNS = """
            id, arrow, revision, trigger, status, accepted_at_ns, started_at_ns, attempts,
            run_started_at_ns, cold, init_ns, duration_ns, outcome, exit_code, signal, reason, detail, error,
            error_code, cpu_user_ns, cpu_system_ns, peak_memory_bytes, memory_limit_bytes, billed_ns, gb_seconds,
            output_bytes, log_bytes, log_truncated, instance, isolation, accelerator""";
    private static final String UNFINISHED = "status IN ('QUEUED', 'RUNNING')";
    private static final String FINISHED = "status IN ('SUCCEEDED', 'FAILED')";

    private final Database database;

    SqliteInvocationStore(Database database) {
        this.database = database;
    }

    @Override
    public void accept(InvocationRecord queued, byte[] input) {
        checkAccepted(queued, input);
        database.write(connection -> insertAccepted(connection, queued, input));
    }

    @Override
    public Optional<IdempotencyKey.Use<String>> accept(InvocationRecord queued, byte[] input, IdempotencyKey key,
            Optional<IdempotencyKey.Use<String>> replacing) {
        checkAccepted(queued, input);
        Objects.requireNonNull(key, "key");
        return database.write(connection -> {
            Optional<IdempotencyKey.Use<String>> held = IdempotencyKeys.holder(connection, IdempotencyKeys.INVOKE,
                    queued.arrow(), key, replacing);
            if (held.isEmpty()) {
                IdempotencyKeys.insert(connection, IdempotencyKeys.INVOKE, queued.arrow(), key, queued.acceptedAt(),
                        queued.id());
                insertAccepted(connection, queued, input);
            }
            return held;
        });
    }

    @Override
    public Optional<IdempotencyKey.Use<String>> claim(String arrow, IdempotencyKey key, String invocation, Instant at,
            Optional<IdempotencyKey.Use<String>> replacing) {
        Objects.requireNonNull(invocation, "invocation");
        Objects.requireNonNull(at, "at");
        // Unsynced, as the record it stands for will be: it survives the process dying.
        return database.writeUnsynced(connection -> {
            Optional<IdempotencyKey.Use<String>> held = IdempotencyKeys.holder(connection, IdempotencyKeys.INVOKE,
                    arrow, key, replacing);
            if (held.isEmpty()) {
                IdempotencyKeys.insert(connection, IdempotencyKeys.INVOKE, arrow, key, at, invocation);
            }
            return held;
        });
    }

    @Override
    public int deleteKeysBefore(Instant cutoff) {
        return IdempotencyKeys.deleteBefore(database, IdempotencyKeys.INVOKE, cutoff);
    }

    private static void checkAccepted(InvocationRecord queued, byte[] input) {
        require(queued.status() == InvocationStatus.QUEUED, "accept takes a queued invocation", queued);
        Objects.requireNonNull(input, "input");
    }

    private static int insertAccepted(Connection connection, InvocationRecord queued, byte[] input) throws SQLException {
        try (var insert = connection.prepareStatement("""
                INSERT INTO invocations (id, arrow, revision, trigger, status, accepted_at_ns, started_at_ns,
                                         attempts, input)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, queued.id());
            insert.setString(2, queued.arrow());
            insert.setInt(3, queued.revision());
            insert.setString(4, queued.trigger().name());
            insert.setString(5, queued.status().name());
            insert.setLong(6, Times.nanos(queued.acceptedAt()));
            Times.setInstant(insert, 7, queued.startedAt());
            insert.setInt(8, queued.attempts());
            insert.setBytes(9, input);
            return insert.executeUpdate();
        }
    }

    @Override
    public void start(InvocationRecord running) {
        require(running.status() == InvocationStatus.RUNNING, "start takes a running invocation", running);
        int updated = database.write(connection -> {
            // Only an unfinished record: a late start must not reopen a finished invocation.
            try (var update = connection.prepareStatement(
                    "UPDATE invocations SET status = ?, started_at_ns = ?, attempts = ? WHERE id = ? AND " + UNFINISHED)) {
                update.setString(1, running.status().name());
                Times.setInstant(update, 2, running.startedAt());
                update.setInt(3, running.attempts());
                update.setString(4, running.id());
                return update.executeUpdate();
            }
        });
        if (updated != 1) {
            throw new IllegalStateException("invocation " + running.id() + " was not accepted or has already finished");
        }
    }

    @Override
    public void finish(InvocationRecord finished, byte[] output, String log) {
        database.writeUnsynced(finishing(finished, output, log));
    }

    @Override
    public void finishSoon(InvocationRecord finished, byte[] output, String log) {
        database.writeSoon(finishing(finished, output, log));
    }

    private Database.Work<Integer> finishing(InvocationRecord finished, byte[] output, String log) {
        require(finished.status().finished(), "finish takes a finished invocation", finished);
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(log, "log");
        Execution run = finished.execution().orElseThrow();
        return connection -> {
            return database.withStatement(connection, FINISH, upsert -> {
                int i = 0;
                upsert.setString(++i, finished.id());
                upsert.setString(++i, finished.arrow());
                upsert.setInt(++i, finished.revision());
                upsert.setString(++i, finished.trigger().name());
                upsert.setString(++i, finished.status().name());
                upsert.setLong(++i, Times.nanos(finished.acceptedAt()));
                Times.setInstant(upsert, ++i, finished.startedAt());
                upsert.setInt(++i, finished.attempts());
                upsert.setLong(++i, Times.nanos(run.startedAt()));
                upsert.setBoolean(++i, run.cold());
                upsert.setLong(++i, Times.nanos(run.initTime()));
                upsert.setLong(++i, Times.nanos(run.duration()));
                i = setOutcome(upsert, i, run.outcome());
                setOptionalText(upsert, ++i, run.error().map(RunError::message));
                setOptionalText(upsert, ++i, run.error().map(RunError::code));
                upsert.setLong(++i, Times.nanos(run.cpuUser()));
                upsert.setLong(++i, Times.nanos(run.cpuSystem()));
                upsert.setLong(++i, run.peakMemoryBytes());
                upsert.setLong(++i, run.memoryLimitBytes());
                upsert.setLong(++i, Times.nanos(run.billed()));
                upsert.setDouble(++i, run.gbSeconds());
                upsert.setLong(++i, run.outputBytes());
                upsert.setLong(++i, run.logBytes());
                upsert.setBoolean(++i, run.logTruncated());
                setOptionalText(upsert, ++i, run.instance());
                upsert.setString(++i, run.isolation().name());
                setOptionalText(upsert, ++i, run.accelerator());
                upsert.setBytes(++i, output);
                upsert.setString(++i, log);
                return upsert.executeUpdate();
            });
        };
    }

    /** Sets outcome, exit_code, signal, reason and detail from {@code outcome}; returns the last index used. */
    private static int setOutcome(PreparedStatement statement, int before, Outcome outcome) throws SQLException {
        Integer exitCode = null;
        Integer signal = null;
        String reason = null;
        String detail = null;
        switch (outcome) {
            case Outcome.Exited(int code) -> exitCode = code;
            case Outcome.Signaled(int number) -> signal = number;
            case Outcome.FailedToStart(String why, String explanation) -> {
                reason = why;
                detail = explanation;
            }
            case Outcome.OutOfMemory _, Outcome.TimedOut _, Outcome.PidsExhausted _ -> {
            }
        }
        statement.setString(before + 1, outcome.name());
        statement.setObject(before + 2, exitCode, Types.INTEGER);
        statement.setObject(before + 3, signal, Types.INTEGER);
        statement.setString(before + 4, reason);
        statement.setString(before + 5, detail);
        return before + 5;
    }

    private static Outcome outcome(ResultSet rows) throws SQLException {
        String name = rows.getString("outcome");
        return switch (name) {
            case "exited" -> new Outcome.Exited(rows.getInt("exit_code"));
            case "signaled" -> new Outcome.Signaled(rows.getInt("signal"));
            case "out-of-memory" -> new Outcome.OutOfMemory();
            case "timed-out" -> new Outcome.TimedOut();
            case "pids-exhausted" -> new Outcome.PidsExhausted();
            case "failed-to-start" -> new Outcome.FailedToStart(rows.getString("reason"), rows.getString("detail"));
            default -> throw new IllegalStateException("invocation " + rows.getString("id")
                    + " has an unknown stored outcome '" + name + "'");
        };
    }

    private static void setOptionalText(PreparedStatement statement, int index, Optional<String> text) throws SQLException {
        if (text.isPresent()) {
            statement.setString(index, text.get());
        } else {
            statement.setNull(index, Types.VARCHAR);
        }
    }

    @Override
    public Optional<InvocationRecord> find(String id) {
        return database.read(connection -> {
            try (var select = connection.prepareStatement("SELECT " + RECORD_COLUMNS + " FROM invocations WHERE id = ?")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(record(rows)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Optional<byte[]> output(String id) {
        return database.read(connection -> {
            try (var select = connection.prepareStatement("SELECT output FROM invocations WHERE id = ? AND " + FINISHED)) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.ofNullable(rows.getBytes("output")) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Optional<String> log(String id) {
        return database.read(connection -> {
            try (var select = connection.prepareStatement("SELECT log FROM invocations WHERE id = ? AND " + FINISHED)) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.ofNullable(rows.getString("log")) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<InvocationRecord> list(InvocationQuery query) {
        var sql = new StringBuilder("SELECT " + RECORD_COLUMNS + " FROM invocations WHERE 1 = 1");
        var parameters = new ArrayList<String>();
        // Only the filters that apply, so that SQLite can pick the index for them.
        query.arrow().ifPresent(arrow -> {
            sql.append(" AND arrow = ?");
            parameters.add(arrow);
        });
        query.status().ifPresent(status -> {
            sql.append(" AND status = ?");
            parameters.add(status.name());
        });
        query.before().ifPresent(before -> {
            sql.append(" AND id < ?");
            parameters.add(before);
        });
        sql.append(" ORDER BY id DESC LIMIT ?");
        return database.read(connection -> {
            try (var select = connection.prepareStatement(sql.toString())) {
                int i = 0;
                for (String parameter : parameters) {
                    select.setString(++i, parameter);
                }
                select.setInt(++i, query.limit());
                try (ResultSet rows = select.executeQuery()) {
                    var records = new ArrayList<InvocationRecord>();
                    while (rows.next()) {
                        records.add(record(rows));
                    }
                    return List.copyOf(records);
                }
            }
        });
    }

    @Override
    public List<InvocationRecord> unfinished() {
        return database.read(connection -> {
            try (var select = connection.prepareStatement("SELECT " + RECORD_COLUMNS
                    + " FROM invocations WHERE " + UNFINISHED + " ORDER BY id");
                 ResultSet rows = select.executeQuery()) {
                var pending = new ArrayList<InvocationRecord>();
                while (rows.next()) {
                    pending.add(record(rows));
                }
                return List.copyOf(pending);
            }
        });
    }

    @Override
    public Optional<byte[]> input(String id) {
        return database.read(connection -> {
            try (var select = connection.prepareStatement("SELECT input FROM invocations WHERE id = ? AND " + UNFINISHED)) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.<byte[]>empty();
                    }
                    byte[] input = rows.getBytes(1);
                    return Optional.of(input == null ? new byte[0] : input);
                }
            }
        });
    }

    @Override
    public int countUnfinished() {
        return database.read(connection -> {
            try (var select = connection.prepareStatement("SELECT COUNT(*) FROM invocations WHERE " + UNFINISHED);
                 ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        });
    }

    @Override
    public int deleteFinishedBefore(Instant cutoff) {
        long cutoffNanos = Times.nanos(cutoff);
        // No index on accepted_at_ns: retention runs rarely, and every index slows each write.
        return database.write(connection -> {
            try (var delete = connection.prepareStatement(
                    "DELETE FROM invocations WHERE " + FINISHED + " AND accepted_at_ns < ?")) {
                delete.setLong(1, cutoffNanos);
                return delete.executeUpdate();
            }
        });
    }

    /** NULL in rows written before the VM tier, all of the process tier. */
    private static Isolation isolation(String stored) {
        return stored == null ? Isolation.PROCESS : Isolation.valueOf(stored);
    }

    private static InvocationRecord record(ResultSet rows) throws SQLException {
        Optional<Execution> execution = Optional.empty();
        if (rows.getString("outcome") != null) {
            String errorCode = rows.getString("error_code");
            execution = Optional.of(new Execution(
                    Times.instant(rows.getLong("run_started_at_ns")),
                    rows.getBoolean("cold"),
                    Duration.ofNanos(rows.getLong("init_ns")),
                    Duration.ofNanos(rows.getLong("duration_ns")),
                    outcome(rows),
                    Optional.ofNullable(rows.getString("error"))
                            .map(message -> RunError.restore(errorCode, message)),
                    Duration.ofNanos(rows.getLong("cpu_user_ns")),
                    Duration.ofNanos(rows.getLong("cpu_system_ns")),
                    rows.getLong("peak_memory_bytes"),
                    rows.getLong("memory_limit_bytes"),
                    Duration.ofNanos(rows.getLong("billed_ns")),
                    rows.getDouble("gb_seconds"),
                    rows.getLong("output_bytes"),
                    rows.getLong("log_bytes"),
                    rows.getBoolean("log_truncated"),
                    Optional.ofNullable(rows.getString("instance")),
                    isolation(rows.getString("isolation")),
                    Optional.ofNullable(rows.getString("accelerator"))));
        }
        return new InvocationRecord(
                rows.getString("id"),
                rows.getString("arrow"),
                rows.getInt("revision"),
                Trigger.valueOf(rows.getString("trigger")),
                InvocationStatus.valueOf(rows.getString("status")),
                Times.instant(rows.getLong("accepted_at_ns")),
                Times.optionalInstant(rows, "started_at_ns"),
                rows.getInt("attempts"),
                execution);
    }

    private static void require(boolean condition, String message, InvocationRecord record) {
        if (!condition) {
            throw new IllegalArgumentException(message + ": " + record.id() + " is " + record.status());
        }
    }
}
