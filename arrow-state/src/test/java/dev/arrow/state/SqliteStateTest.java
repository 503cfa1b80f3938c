package dev.arrow.state;

import static dev.arrow.state.Fixtures.at;
import static dev.arrow.state.Fixtures.execution;
import static dev.arrow.state.Fixtures.fullSpec;
import static dev.arrow.state.Fixtures.nextId;
import static dev.arrow.state.Fixtures.queued;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.arrows.Revision;
import dev.arrow.platform.invocations.InvocationQuery;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.Trigger;
import dev.arrow.sandbox.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStateTest {

    @TempDir
    Path dir;

    @Test
    void createsItsDirectoriesAndAPrivateFile() throws Exception {
        Path file = dir.resolve("deep/er/state.db");

        try (SqliteState state = SqliteState.open(file)) {
            state.arrows().addRevision(fullSpec("app"), at(0));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            // SQLite gives the WAL the database file's mode: inputs and outputs pass through it.
            assertThat(file.resolveSibling("state.db-wal")).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.resolveSibling("state.db-wal"))))
                    .isEqualTo("rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void usesWriteAheadLoggingAndForeignKeys() throws Exception {
        Path file = dir.resolve("state.db");
        try (SqliteState state = SqliteState.open(file); Connection raw = connect(file)) {
            assertThat(pragma(raw, "journal_mode")).isEqualTo("wal");
            // The foreign key from revisions to arrows is there and cascades.
            state.arrows().addRevision(fullSpec("app"), at(0));
            state.arrows().delete("app");
            assertThat(pragma(raw, "user_version")).isEqualTo(String.valueOf(Schema.currentVersion()));
            try (var rows = raw.createStatement().executeQuery("SELECT COUNT(*) FROM revisions")) {
                rows.next();
                assertThat(rows.getInt(1)).isZero();
            }
        }
    }

    @Test
    void everythingWrittenIsThereAfterReopening() {
        Path file = dir.resolve("state.db");
        String queuedId = nextId();
        String runningId = nextId();
        String finishedId = nextId();
        InvocationRecord running = queued(runningId, "app", at(1)).started(at(2));
        InvocationRecord finished = queued(finishedId, "app", at(3)).started(at(4))
                .finished(execution(at(4), new Outcome.TimedOut(), Optional.empty()));
        Revision first;
        Revision second;
        try (SqliteState state = SqliteState.open(file)) {
            first = state.arrows().addRevision(fullSpec("app"), at(0));
            second = state.arrows().addRevision(Fixtures.simpleSpec("app"), at(5));
            state.arrows().route("app", 1, at(6));
            state.invocations().accept(queued(queuedId, "app", at(0)), "q".getBytes(UTF_8));
            state.invocations().accept(queued(runningId, "app", at(1)), "r".getBytes(UTF_8));
            state.invocations().start(running);
            state.invocations().accept(queued(finishedId, "app", at(3)), "f".getBytes(UTF_8));
            state.invocations().start(queued(finishedId, "app", at(3)).started(at(4)));
            state.invocations().finish(finished, "out".getBytes(UTF_8), "log");
        }

        try (SqliteState state = SqliteState.open(file)) {
            assertThat(state.arrows().arrow("app")).contains(new ArrowSummary("app", 2, 1, at(0), at(6)));
            assertThat(state.arrows().revisions("app")).containsExactly(second, first);
            assertThat(state.invocations().list(InvocationQuery.all())).containsExactly(
                    finished, running, queued(queuedId, "app", at(0)));
            assertThat(state.invocations().unfinished())
                    .extracting(p -> new String(state.invocations().input(p.id()).orElseThrow(), UTF_8)).containsExactly("q", "r");
            assertThat(state.invocations().output(finishedId)).hasValueSatisfying(out -> assertThat(out).asString(UTF_8).isEqualTo("out"));
            assertThat(state.invocations().log(finishedId)).contains("log");
        }
    }

    @Test
    void reopeningDoesNotMigrateAgain() throws Exception {
        Path file = dir.resolve("state.db");
        try (SqliteState state = SqliteState.open(file)) {
            state.arrows().addRevision(fullSpec("app"), at(0));
        }
        for (int i = 0; i < 3; i++) {
            try (SqliteState state = SqliteState.open(file)) {
                assertThat(state.arrows().revisions("app")).hasSize(1);
            }
        }
        try (Connection raw = connect(file)) {
            assertThat(pragma(raw, "user_version")).isEqualTo(String.valueOf(Schema.currentVersion()));
            assertThat(Schema.currentVersion()).isPositive();
        }
    }

    @Test
    void errorsWrittenBeforeTheirKindWasStoredGetItFromTheirWording() throws Exception {
        Path file = dir.resolve("state.db");
        List<RunError> errors = List.of(new RunError.OutputTooLarge(64), new RunError.HandlerFailed("ValueError: no"),
                new RunError.InstanceFailed("the instance answered with status 503"),
                new RunError.Abandoned("the client closed the connection before the answer was out"));
        try (SqliteState state = SqliteState.open(file)) {
            for (int i = 0; i < errors.size(); i++) {
                state.invocations().finish(InvocationRecord.accepted("0" + i, "app", 1, Trigger.SYNC, at(0))
                        .finished(execution(at(1), new Outcome.Exited(0), Optional.of(errors.get(i)))), new byte[0], "");
            }
        }
        try (Connection raw = connect(file)) { // as a file of the version before the column (2)
            raw.createStatement().execute("ALTER TABLE invocations DROP COLUMN error_code");
            raw.createStatement().execute("DROP TABLE idempotency_keys"); // and what came after it
            raw.createStatement().execute("DROP TABLE kv_entries");
            raw.createStatement().execute("DROP TABLE kv_stores");
            raw.createStatement().execute("DROP TABLE queue_messages");
            raw.createStatement().execute("DROP TABLE queues");
            raw.createStatement().execute("DROP TABLE access_keys");
            raw.createStatement().execute("DROP TABLE event_deliveries");
            raw.createStatement().execute("DROP TABLE events");
            raw.createStatement().execute("DROP TABLE object_parts");
            raw.createStatement().execute("DROP TABLE object_uploads");
            raw.createStatement().execute("DROP TABLE objects");
            raw.createStatement().execute("DROP TABLE buckets");
            raw.createStatement().execute("DROP TABLE flow_steps");
            raw.createStatement().execute("DROP TABLE flow_runs");
            raw.createStatement().execute("DROP TABLE flow_revisions");
            raw.createStatement().execute("DROP TABLE flows");
            raw.createStatement().execute("ALTER TABLE invocations DROP COLUMN isolation");
            raw.createStatement().execute("ALTER TABLE invocations DROP COLUMN accelerator");
            raw.createStatement().execute("PRAGMA user_version = 2");
        }
        try (SqliteState state = SqliteState.open(file)) {
            for (int i = 0; i < errors.size(); i++) {
                assertThat(state.invocations().find("0" + i).orElseThrow().execution().orElseThrow().error())
                        .contains(errors.get(i));
            }
        }
    }

    @Test
    void aFileFromANewerArrowIsRefused() throws Exception {
        Path file = dir.resolve("state.db");
        SqliteState.open(file).close();
        try (Connection raw = connect(file)) {
            raw.createStatement().execute("PRAGMA user_version = " + (Schema.currentVersion() + 1));
        }

        assertThatThrownBy(() -> SqliteState.open(file)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("newer Arrow");
    }

    @Test
    void anExistingFileKeepsItsMode() throws Exception {
        Path file = dir.resolve("state.db");
        SqliteState.open(file).close();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

        SqliteState.open(file).close();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r-----");
    }

    @Test
    void aClosedStateRefusesWork() {
        SqliteState state = SqliteState.open(dir.resolve("state.db"));
        state.close();

        assertThatThrownBy(() -> state.arrows().arrows()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> state.invocations().countUnfinished()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void manyVirtualThreadsCanWriteAndReadAtOnce() throws Exception {
        try (SqliteState state = SqliteState.open(dir.resolve("state.db"));
             var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            var futures = new ArrayList<Future<String>>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                futures.add(executor.submit(() -> {
                    String id = nextId();
                    InvocationRecord accepted = queued(id, "app-" + (n % 5), at(n));
                    state.invocations().accept(accepted, new byte[] {(byte) n});
                    InvocationRecord running = accepted.started(at(n + 1));
                    state.invocations().start(running);
                    assertThat(state.invocations().find(id)).contains(running);
                    state.invocations().finish(running.finished(execution(at(n + 1), new Outcome.Exited(n % 2), Optional.empty())),
                            new byte[] {(byte) n}, "log " + n);
                    return id;
                }));
            }
            List<String> ids = new ArrayList<>();
            for (Future<String> future : futures) {
                ids.add(future.get());
            }

            assertThat(state.invocations().countUnfinished()).isZero();
            assertThat(state.invocations().list(new InvocationQuery(Optional.empty(), Optional.empty(), 1000, Optional.empty())))
                    .hasSize(200);
            assertThat(ids).doesNotHaveDuplicates().allSatisfy(id -> assertThat(state.invocations().log(id)).isPresent());
        }
    }

    private static Connection connect(Path file) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    private static String pragma(Connection connection, String name) throws SQLException {
        try (var rows = connection.createStatement().executeQuery("PRAGMA " + name)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
