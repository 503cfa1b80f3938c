package dev.arrow.state;

import dev.arrow.flows.runs.FlowRevision;
import dev.arrow.flows.runs.FlowStore;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import dev.arrow.flows.runs.StepStatus;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Flows, runs and steps in the {@code flows}, {@code flow_revisions}, {@code flow_runs} and
 * {@code flow_steps} tables (see {@link Schema}). Every write is one group-committed transaction,
 * synced but for {@code record(..., false)}; reads run on the reader connections.
 */
final class SqliteFlowStore implements FlowStore {

    private static final String REVISION_COLUMNS = "flow, revision, language, source, deployed_at_ns";
    private static final String LATEST = "SELECT " + REVISION_COLUMNS
            + " FROM flow_revisions WHERE flow = ? AND deleted = 0 ORDER BY revision DESC LIMIT 1";
    private static final String REVISION = "SELECT " + REVISION_COLUMNS + " FROM flow_revisions WHERE flow = ? AND revision = ?";
    private static final String REVISIONS = "SELECT " + REVISION_COLUMNS
            + " FROM flow_revisions WHERE flow = ? AND deleted = 0 ORDER BY revision";
    private static final String FLOWS = "SELECT " + REVISION_COLUMNS + """
             FROM flow_revisions r WHERE deleted = 0
              AND revision = (SELECT MAX(revision) FROM flow_revisions WHERE flow = r.flow AND deleted = 0)
            ORDER BY flow""";
    private static final String NEXT_NUMBER = """
            INSERT INTO flows (name, last_revision) VALUES (?, 1)
            ON CONFLICT (name) DO UPDATE SET last_revision = last_revision + 1 RETURNING last_revision""";
    private static final String INSERT_REVISION = """
            INSERT INTO flow_revisions (flow, revision, language, deployed_at_ns, deleted, source) VALUES (?, ?, ?, ?, 0, ?)""";
    private static final String DELETE = "UPDATE flow_revisions SET deleted = 1 WHERE flow = ? AND deleted = 0";

    private static final String RUN_COLUMNS =
            "id, flow, revision, status, redrives, started_at_ns, ended_at_ns, started_by, input, output, error";
    private static final String INSERT_RUN = "INSERT INTO flow_runs (" + RUN_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String RUN = "SELECT " + RUN_COLUMNS + " FROM flow_runs WHERE id = ?";
    private static final String NEWEST_FIRST = " ORDER BY started_at_ns DESC, id DESC LIMIT ?";
    // One query per filter, so that each uses its index.
    private static final String RUNS = "SELECT " + RUN_COLUMNS + " FROM flow_runs" + NEWEST_FIRST;
    private static final String RUNS_OF_FLOW = "SELECT " + RUN_COLUMNS + " FROM flow_runs WHERE flow = ?" + NEWEST_FIRST;
    private static final String RUNS_WITH_STATUS = "SELECT " + RUN_COLUMNS + " FROM flow_runs WHERE status = ?" + NEWEST_FIRST;
    private static final String RUNS_OF_FLOW_WITH_STATUS =
            "SELECT " + RUN_COLUMNS + " FROM flow_runs WHERE flow = ? AND status = ?" + NEWEST_FIRST;
    private static final String RUNNING = "SELECT " + RUN_COLUMNS
            + " FROM flow_runs WHERE status = 'RUNNING' ORDER BY started_at_ns, id";
    private static final String COUNT_RUNNING = "SELECT COUNT(*) FROM flow_runs WHERE status = 'RUNNING'";
    private static final String FINISH = """
            UPDATE flow_runs SET status = ?, output = ?, error = ?, ended_at_ns = ? WHERE id = ? AND status = 'RUNNING'""";
    private static final String REDRIVE = """
            UPDATE flow_runs SET status = 'RUNNING', redrives = redrives + 1, ended_at_ns = NULL, output = NULL, error = NULL
            WHERE id = ? AND status IN ('FAILED', 'TIMED_OUT')""";

    private static final String STEP_COLUMNS =
            "run, path, kind, attempt, status, due_at_ns, started_at_ns, ended_at_ns, redrive, input, output, error";
    private static final String UPSERT_STEP = "INSERT INTO flow_steps (" + STEP_COLUMNS + """
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run, path) DO UPDATE SET kind = excluded.kind, attempt = excluded.attempt, status = excluded.status,
                due_at_ns = excluded.due_at_ns, started_at_ns = excluded.started_at_ns, ended_at_ns = excluded.ended_at_ns,
                redrive = excluded.redrive, input = excluded.input, output = excluded.output, error = excluded.error""";
    private static final String STEPS = "SELECT " + STEP_COLUMNS + " FROM flow_steps WHERE run = ? ORDER BY started_at_ns, path";

    private static final String PURGEABLE = """
            SELECT id FROM flow_runs WHERE ended_at_ns IS NOT NULL AND ended_at_ns < ? AND status <> 'RUNNING'
            ORDER BY ended_at_ns, id LIMIT ?""";
    private static final String DELETE_STEPS = "DELETE FROM flow_steps WHERE run = ?";
    private static final String DELETE_RUN = "DELETE FROM flow_runs WHERE id = ?";
    private static final String DELETE_UNNEEDED_REVISIONS = """
            DELETE FROM flow_revisions WHERE deleted = 1 AND NOT EXISTS (
                SELECT 1 FROM flow_runs WHERE flow_runs.flow = flow_revisions.flow AND flow_runs.revision = flow_revisions.revision)""";

    private final Database database;

    SqliteFlowStore(Database database) {
        this.database = database;
    }

    @Override
    public FlowRevision deploy(String flow, Language language, String source, Instant at) {
        return database.write(connection -> {
            Optional<FlowRevision> latest = latest(connection, flow);
            if (latest.isPresent() && latest.get().language() == language && latest.get().source().equals(source)) {
                return latest.get();
            }
            int number = database.withStatement(connection, NEXT_NUMBER, insert -> {
                insert.setString(1, flow);
                try (ResultSet rows = insert.executeQuery()) {
                    rows.next();
                    return rows.getInt(1);
                }
            });
            database.withStatement(connection, INSERT_REVISION, insert -> {
                insert.setString(1, flow);
                insert.setInt(2, number);
                insert.setString(3, language.name());
                insert.setLong(4, Times.nanos(at));
                insert.setString(5, source);
                return insert.executeUpdate();
            });
            return new FlowRevision(flow, number, language, source, at);
        });
    }

    @Override
    public Optional<FlowRevision> revision(String flow, int revision) {
        return database.read(connection -> database.withStatement(connection, REVISION, select -> {
            select.setString(1, flow);
            select.setInt(2, revision);
            return revisions(select.executeQuery()).stream().findFirst();
        }));
    }

    @Override
    public Optional<FlowRevision> latest(String flow) {
        return database.read(connection -> latest(connection, flow));
    }

    private Optional<FlowRevision> latest(Connection connection, String flow) throws SQLException {
        return database.withStatement(connection, LATEST, select -> {
            select.setString(1, flow);
            return revisions(select.executeQuery()).stream().findFirst();
        });
    }

    @Override
    public List<FlowRevision> revisions(String flow) {
        return database.read(connection -> database.withStatement(connection, REVISIONS, select -> {
            select.setString(1, flow);
            return revisions(select.executeQuery());
        }));
    }

    @Override
    public List<FlowRevision> flows() {
        return database.read(connection -> database.withStatement(connection, FLOWS, select -> revisions(select.executeQuery())));
    }

    @Override
    public boolean delete(String flow) {
        return database.write(connection -> database.withStatement(connection, DELETE, update -> {
            update.setString(1, flow);
            return update.executeUpdate();
        })) > 0;
    }

    @Override
    public void start(RunRecord run) {
        database.write(connection -> database.withStatement(connection, INSERT_RUN, insert -> {
            insert.setString(1, run.id());
            insert.setString(2, run.flow());
            insert.setInt(3, run.revision());
            insert.setString(4, run.status().name());
            insert.setInt(5, run.redrives());
            insert.setLong(6, Times.nanos(run.startedAt()));
            Times.setInstant(insert, 7, run.endedAt());
            insert.setString(8, run.startedBy());
            insert.setString(9, run.input());
            insert.setString(10, run.output().orElse(null));
            insert.setString(11, run.error().orElse(null));
            return insert.executeUpdate();
        }));
    }

    @Override
    public Optional<RunRecord> run(String id) {
        return database.read(connection -> database.withStatement(connection, RUN, select -> {
            select.setString(1, id);
            return runs(select.executeQuery()).stream().findFirst();
        }));
    }

    @Override
    public List<RunRecord> runs(Optional<String> flow, Optional<RunStatus> status, int limit) {
        String sql = flow.isPresent()
                ? (status.isPresent() ? RUNS_OF_FLOW_WITH_STATUS : RUNS_OF_FLOW)
                : (status.isPresent() ? RUNS_WITH_STATUS : RUNS);
        return database.read(connection -> database.withStatement(connection, sql, select -> {
            int index = 1;
            if (flow.isPresent()) {
                select.setString(index++, flow.get());
            }
            if (status.isPresent()) {
                select.setString(index++, status.get().name());
            }
            select.setInt(index, Math.max(0, limit));
            return runs(select.executeQuery());
        }));
    }

    @Override
    public List<RunRecord> running() {
        return database.read(connection -> database.withStatement(connection, RUNNING, select -> runs(select.executeQuery())));
    }

    @Override
    public int countRunning() {
        return database.read(connection -> database.withStatement(connection, COUNT_RUNNING, select -> {
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }));
    }

    @Override
    public boolean finish(String id, RunStatus status, Optional<String> output, Optional<String> error, Instant at) {
        if (!status.finished()) {
            throw new IllegalArgumentException("a run cannot finish as " + status);
        }
        return database.write(connection -> database.withStatement(connection, FINISH, update -> {
            update.setString(1, status.name());
            update.setString(2, output.orElse(null));
            update.setString(3, error.orElse(null));
            update.setLong(4, Times.nanos(at));
            update.setString(5, id);
            return update.executeUpdate();
        })) > 0;
    }

    @Override
    public boolean redrive(String id, Instant at) {
        return database.write(connection -> database.withStatement(connection, REDRIVE, update -> {
            update.setString(1, id);
            return update.executeUpdate();
        })) > 0;
    }

    @Override
    public void record(List<StepRecord> steps, boolean synced) {
        if (steps.isEmpty()) {
            return;
        }
        Database.Work<Void> work = connection -> {
            for (StepRecord step : steps) {
                database.withStatement(connection, UPSERT_STEP, upsert -> {
                    upsert.setString(1, step.run());
                    upsert.setString(2, step.path());
                    upsert.setString(3, step.kind());
                    upsert.setInt(4, step.attempt());
                    upsert.setString(5, step.status().name());
                    Times.setInstant(upsert, 6, step.dueAt());
                    upsert.setLong(7, Times.nanos(step.startedAt()));
                    Times.setInstant(upsert, 8, step.endedAt());
                    upsert.setInt(9, step.redrive());
                    upsert.setString(10, step.input());
                    upsert.setString(11, step.output().orElse(null));
                    upsert.setString(12, step.error().orElse(null));
                    return upsert.executeUpdate();
                });
            }
            return null;
        };
        if (synced) {
            database.write(work);
        } else {
            database.writeUnsynced(work);
        }
    }

    @Override
    public List<StepRecord> steps(String run) {
        return database.read(connection -> database.withStatement(connection, STEPS, select -> {
            select.setString(1, run);
            var steps = new ArrayList<StepRecord>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    steps.add(new StepRecord(rows.getString("run"), rows.getString("path"), rows.getString("kind"),
                            rows.getInt("attempt"), StepStatus.valueOf(rows.getString("status")), rows.getString("input"),
                            Optional.ofNullable(rows.getString("output")), Optional.ofNullable(rows.getString("error")),
                            Times.optionalInstant(rows, "due_at_ns"), Times.instant(rows.getLong("started_at_ns")),
                            Times.optionalInstant(rows, "ended_at_ns"), rows.getInt("redrive")));
                }
            }
            return steps;
        }));
    }

    @Override
    public int purge(Instant cutoff, int limit) {
        return database.write(connection -> {
            List<String> ids = database.withStatement(connection, PURGEABLE, select -> {
                select.setLong(1, Times.nanos(cutoff));
                select.setInt(2, Math.max(0, limit));
                var found = new ArrayList<String>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        found.add(rows.getString(1));
                    }
                }
                return found;
            });
            for (String id : ids) {
                for (String sql : List.of(DELETE_STEPS, DELETE_RUN)) {
                    database.withStatement(connection, sql, delete -> {
                        delete.setString(1, id);
                        return delete.executeUpdate();
                    });
                }
            }
            database.withStatement(connection, DELETE_UNNEEDED_REVISIONS, delete -> delete.executeUpdate());
            return ids.size();
        });
    }

    private static List<FlowRevision> revisions(ResultSet rows) throws SQLException {
        try (rows) {
            var revisions = new ArrayList<FlowRevision>();
            while (rows.next()) {
                revisions.add(new FlowRevision(rows.getString("flow"), rows.getInt("revision"),
                        Language.valueOf(rows.getString("language")), rows.getString("source"),
                        Times.instant(rows.getLong("deployed_at_ns"))));
            }
            return revisions;
        }
    }

    private static List<RunRecord> runs(ResultSet rows) throws SQLException {
        try (rows) {
            var runs = new ArrayList<RunRecord>();
            while (rows.next()) {
                runs.add(new RunRecord(rows.getString("id"), rows.getString("flow"), rows.getInt("revision"),
                        RunStatus.valueOf(rows.getString("status")), rows.getString("input"),
                        Optional.ofNullable(rows.getString("output")), Optional.ofNullable(rows.getString("error")),
                        rows.getInt("redrives"), Times.instant(rows.getLong("started_at_ns")),
                        Times.optionalInstant(rows, "ended_at_ns"), rows.getString("started_by")));
            }
            return runs;
        }
    }
}
