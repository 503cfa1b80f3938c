package dev.arrow.state;

import static dev.arrow.state.Fixtures.at;
import static dev.arrow.state.Fixtures.execution;
import static dev.arrow.state.Fixtures.nextId;
import static dev.arrow.state.Fixtures.queued;
import static dev.arrow.state.Fixtures.syncFailed;
import static dev.arrow.state.Fixtures.syncSucceeded;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationQuery;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.InvocationStatus;
import dev.arrow.platform.invocations.InvocationStore;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.Trigger;
import dev.arrow.sandbox.Outcome;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SqliteInvocationStoreTest {

    @TempDir
    Path dir;

    private SqliteState state;
    private InvocationStore invocations;

    @BeforeEach
    void open() {
        state = SqliteState.open(dir.resolve("state.db"));
        invocations = state.invocations();
    }

    @AfterEach
    void close() {
        state.close();
    }

    static Stream<Outcome> everyOutcome() {
        return Stream.of(new Outcome.Exited(0), new Outcome.Exited(3), new Outcome.Exited(255),
                new Outcome.Signaled(9), new Outcome.Signaled(15), new Outcome.OutOfMemory(), new Outcome.TimedOut(),
                new Outcome.PidsExhausted(),
                new Outcome.FailedToStart("command-not-found", "no 'pyhton3' on the PATH"),
                new Outcome.FailedToStart("setup-failed", ""));
    }

    @ParameterizedTest
    @MethodSource("everyOutcome")
    void aFinishedSyncInvocationReadsBackExactly(Outcome outcome) {
        String id = nextId();
        Execution run = execution(at(1), outcome, Optional.empty());
        InvocationRecord finished = InvocationRecord.accepted(id, "app", 4, Trigger.SYNC, at(0)).finished(run);

        invocations.finish(finished, "stdout".getBytes(UTF_8), "stderr");

        assertThat(invocations.find(id)).contains(finished);
        assertThat(invocations.find(id).orElseThrow().execution().orElseThrow().outcome()).isEqualTo(outcome);
        assertThat(invocations.output(id)).hasValueSatisfying(out -> assertThat(out).asString(UTF_8).isEqualTo("stdout"));
        assertThat(invocations.log(id)).contains("stderr");
    }

    static List<RunError> everyRunError() {
        return List.of(new RunError.OutputTooLarge(6_291_456), new RunError.HandlerFailed("TypeError: x is undefined"),
                new RunError.HandlerFailed(""), new RunError.InstanceFailed("the instance answered with status 502"),
                new RunError.Abandoned("the client closed the connection before the answer was out"));
    }

    @ParameterizedTest
    @MethodSource("everyRunError")
    void aRunErrorReadsBackAsTheSameKind(RunError error) {
        String id = nextId();
        InvocationRecord finished = InvocationRecord.accepted(id, "app", 1, Trigger.SYNC, at(0))
                .finished(execution(at(1), new Outcome.Exited(0), Optional.of(error)));

        invocations.finish(finished, new byte[0], "");

        assertThat(invocations.find(id).orElseThrow().execution().orElseThrow().error()).contains(error);
    }

    @Test
    void everyExecutionFieldReadsBackExactly() {
        String id = nextId();
        Instant acceptedAt = Instant.parse("2026-03-01T10:15:30.123456789Z");
        var run = new Execution(acceptedAt.plusNanos(987_654_321), false, Duration.ofNanos(1), Duration.ofNanos(Long.MAX_VALUE / 4),
                new Outcome.Exited(0), Optional.of(new RunError.OutputTooLarge(6_291_456)),
                Duration.ofNanos(123_456_789), Duration.ofNanos(42), Long.MAX_VALUE, 16L << 30, Duration.ofMillis(7),
                0.1 + 0.2, 7_340_032L, 0L, false);
        // startedAt of the record and of its run differ on purpose: both are kept.
        var finished = new InvocationRecord(id, "app", 9, Trigger.ASYNC, InvocationStatus.FAILED, acceptedAt,
                Optional.of(acceptedAt.plusSeconds(1)), 2, Optional.of(run));

        invocations.finish(finished, new byte[] {0, 1, 2, (byte) 0xff}, "");

        assertThat(invocations.find(id)).contains(finished);
        assertThat(invocations.find(id).orElseThrow().execution().orElseThrow().gbSeconds()).isEqualTo(0.1 + 0.2);
        assertThat(invocations.output(id)).hasValueSatisfying(out -> assertThat(out).containsExactly(0, 1, 2, 0xff));
        assertThat(invocations.log(id)).contains("");
    }

    @Test
    void theTierAndAcceleratorOfARunReadBack() {
        String vmId = nextId();
        InvocationRecord vm = queued(vmId, "app", at(0)).started(at(1)).finished(
                execution(at(1), new Outcome.Exited(0), Optional.empty()).in(Isolation.VM, Optional.of("tcg")));
        String processId = nextId();
        InvocationRecord process = queued(processId, "app", at(0)).started(at(1)).finished(
                execution(at(1), new Outcome.Exited(0), Optional.empty()));

        invocations.finish(vm, new byte[0], "");
        invocations.finish(process, new byte[0], "");

        assertThat(invocations.find(vmId)).contains(vm);
        assertThat(invocations.find(vmId).orElseThrow().execution().orElseThrow().accelerator()).contains("tcg");
        assertThat(invocations.find(processId).orElseThrow().execution().orElseThrow().isolation())
                .isEqualTo(Isolation.PROCESS);
        assertThat(invocations.find(processId).orElseThrow().execution().orElseThrow().accelerator()).isEmpty();
    }

    @Test
    void emptyInputsAndOutputsAreEmptyNotMissing() {
        String id = nextId();
        invocations.accept(queued(id, "app", at(0)), new byte[0]);

        assertThat(invocations.unfinished()).singleElement()
                .satisfies(pending -> assertThat(invocations.input(pending.id())).hasValueSatisfying(in -> assertThat(in).isEmpty()));

        InvocationRecord running = queued(id, "app", at(0)).started(at(1));
        invocations.start(running);
        invocations.finish(running.finished(execution(at(1), new Outcome.Exited(0), Optional.empty())), new byte[0], "");

        assertThat(invocations.output(id)).hasValueSatisfying(out -> assertThat(out).isEmpty());
        assertThat(invocations.log(id)).contains("");
    }

    @Test
    void anAsyncInvocationGoesFromAcceptedToRunningToFinished() throws SQLException {
        String id = nextId();
        InvocationRecord accepted = queued(id, "app", at(0));
        byte[] input = "the body".getBytes(UTF_8);

        invocations.accept(accepted, input);

        assertThat(invocations.find(id)).contains(accepted);
        assertThat(invocations.unfinished()).singleElement().satisfies(pending -> {
            assertThat(pending).isEqualTo(accepted);
            assertThat(invocations.input(id)).hasValueSatisfying(in -> assertThat(in).isEqualTo(input));
        });
        assertThat(invocations.countUnfinished()).isEqualTo(1);
        assertThat(invocations.output(id)).isEmpty();
        assertThat(invocations.log(id)).isEmpty();

        InvocationRecord running = accepted.started(at(2));
        invocations.start(running);

        assertThat(invocations.find(id)).contains(running);
        assertThat(running.attempts()).isEqualTo(1);
        assertThat(invocations.unfinished()).singleElement().satisfies(pending -> {
            assertThat(pending).isEqualTo(running);
            assertThat(invocations.input(id)).hasValueSatisfying(in -> assertThat(in).isEqualTo(input));
        });
        assertThat(invocations.output(id)).isEmpty();

        InvocationRecord finished = running.finished(execution(at(2), new Outcome.Signaled(9), Optional.empty()));
        invocations.finish(finished, "partial".getBytes(UTF_8), "killed");

        assertThat(invocations.find(id)).contains(finished);
        assertThat(finished.status()).isEqualTo(InvocationStatus.FAILED);
        assertThat(invocations.unfinished()).isEmpty();
        assertThat(invocations.countUnfinished()).isZero();
        assertThat(invocations.output(id)).hasValueSatisfying(out -> assertThat(out).asString(UTF_8).isEqualTo("partial"));
        assertThat(invocations.log(id)).contains("killed");
        assertThat(storedInputIsNull(id)).as("the async input is dropped at finish").isTrue();
    }

    @Test
    void aRestartedInvocationKeepsItsInputAndCountsItsAttempts() {
        String id = nextId();
        InvocationRecord accepted = queued(id, "app", at(0));
        invocations.accept(accepted, "in".getBytes(UTF_8));
        invocations.start(accepted.started(at(1)));

        // After a node restart, recovery starts it again from what unfinished() gave back.
        InvocationRecord recovered = invocations.unfinished().getFirst();
        InvocationRecord again = recovered.started(at(60));
        invocations.start(again);

        assertThat(invocations.find(id).orElseThrow()).satisfies(record -> {
            assertThat(record.attempts()).isEqualTo(2);
            assertThat(record.startedAt()).contains(at(60));
            assertThat(record.status()).isEqualTo(InvocationStatus.RUNNING);
        });
        assertThat(invocations.input(id)).hasValueSatisfying(in -> assertThat(in).asString(UTF_8).isEqualTo("in"));
    }

    @Test
    void unfinishedListsQueuedAndRunningOldestFirst() {
        String first = nextId();
        String second = nextId();
        String third = nextId();
        String done = nextId();
        String fourth = nextId();
        invocations.accept(queued(first, "a", at(0)), new byte[] {1});
        invocations.accept(queued(second, "b", at(1)), new byte[] {2});
        invocations.accept(queued(third, "a", at(2)), new byte[] {3});
        invocations.accept(queued(done, "a", at(3)), new byte[] {4});
        invocations.accept(queued(fourth, "c", at(4)), new byte[] {5});
        invocations.start(queued(second, "b", at(1)).started(at(5)));
        InvocationRecord doneRunning = queued(done, "a", at(3)).started(at(5));
        invocations.start(doneRunning);
        invocations.finish(doneRunning.finished(execution(at(5), new Outcome.Exited(0), Optional.empty())), new byte[0], "");
        invocations.finish(syncSucceeded(nextId(), "a", at(6)), new byte[0], "");

        List<InvocationRecord> pending = invocations.unfinished();

        assertThat(pending).extracting(InvocationRecord::id).containsExactly(first, second, third, fourth);
        assertThat(pending).extracting(InvocationRecord::status).containsExactly(
                InvocationStatus.QUEUED, InvocationStatus.RUNNING, InvocationStatus.QUEUED, InvocationStatus.QUEUED);
        assertThat(pending).extracting(p -> invocations.input(p.id()).orElseThrow()[0])
                .containsExactly((byte) 1, (byte) 2, (byte) 3, (byte) 5);
        assertThat(invocations.input(done)).as("no input once finished").isEmpty();
        assertThat(invocations.countUnfinished()).isEqualTo(4);
    }

    @Test
    void listFiltersByArrowAndStatusNewestFirst() {
        var ids = new ArrayList<String>();
        for (int i = 0; i < 12; i++) {
            String id = nextId();
            ids.add(id);
            String arrow = i % 3 == 0 ? "a" : "b";
            if (i % 4 == 0) {
                invocations.accept(queued(id, arrow, at(i)), new byte[0]);
            } else if (i % 2 == 0) {
                invocations.finish(syncFailed(id, arrow, at(i)), new byte[0], "");
            } else {
                invocations.finish(syncSucceeded(id, arrow, at(i)), new byte[0], "");
            }
        }

        assertThat(ids(InvocationQuery.all())).containsExactlyElementsOf(ids.reversed());
        assertThat(ids(query("a", null, 100, null))).containsExactly(ids.get(9), ids.get(6), ids.get(3), ids.get(0));
        assertThat(ids(query(null, InvocationStatus.QUEUED, 100, null))).containsExactly(ids.get(8), ids.get(4), ids.get(0));
        assertThat(ids(query(null, InvocationStatus.FAILED, 100, null))).containsExactly(ids.get(10), ids.get(6), ids.get(2));
        assertThat(ids(query("b", InvocationStatus.SUCCEEDED, 100, null)))
                .containsExactly(ids.get(11), ids.get(7), ids.get(5), ids.get(1));
        assertThat(ids(query("a", InvocationStatus.RUNNING, 100, null))).isEmpty();
        assertThat(ids(query("nope", null, 100, null))).isEmpty();
        assertThat(invocations.list(query("a", InvocationStatus.SUCCEEDED, 100, null)))
                .containsExactly(syncSucceeded(ids.get(9), "a", at(9)), syncSucceeded(ids.get(3), "a", at(3)));
    }

    @Test
    void pagingWithBeforeWalksEveryRecordOnce() {
        var ids = new ArrayList<String>();
        for (int i = 0; i < 25; i++) {
            String id = nextId();
            ids.add(id);
            invocations.finish(syncSucceeded(id, i % 2 == 0 ? "even" : "odd", at(i)), new byte[0], "");
        }

        var walked = new ArrayList<String>();
        String before = null;
        int pages = 0;
        while (true) {
            List<String> page = ids(query(null, null, 10, before));
            if (page.isEmpty()) {
                break;
            }
            pages++;
            assertThat(page.size()).isLessThanOrEqualTo(10);
            walked.addAll(page);
            before = page.getLast();
        }

        assertThat(pages).isEqualTo(3);
        assertThat(walked).containsExactlyElementsOf(ids.reversed());
        assertThat(ids(query("even", null, 5, ids.get(20)))).containsExactly(
                ids.get(18), ids.get(16), ids.get(14), ids.get(12), ids.get(10));
        assertThat(ids(query(null, null, 100, ids.getFirst()))).isEmpty();
    }

    @Test
    void deleteFinishedBeforeKeepsUnfinishedAndNewerRecords() {
        String oldSucceeded = nextId();
        String oldFailed = nextId();
        String oldQueued = nextId();
        String oldRunning = nextId();
        String atCutoff = nextId();
        String newer = nextId();
        invocations.finish(syncSucceeded(oldSucceeded, "a", at(0)), new byte[0], "");
        invocations.finish(syncFailed(oldFailed, "a", at(1)), new byte[0], "");
        invocations.accept(queued(oldQueued, "a", at(2)), new byte[0]);
        invocations.accept(queued(oldRunning, "a", at(3)), new byte[0]);
        invocations.start(queued(oldRunning, "a", at(3)).started(at(4)));
        invocations.finish(syncSucceeded(atCutoff, "a", at(10)), new byte[0], "");
        invocations.finish(syncSucceeded(newer, "a", at(11)), new byte[0], "");

        assertThat(invocations.deleteFinishedBefore(at(10))).isEqualTo(2);

        assertThat(ids(InvocationQuery.all())).containsExactly(newer, atCutoff, oldRunning, oldQueued);
        assertThat(invocations.find(oldSucceeded)).isEmpty();
        assertThat(invocations.output(oldSucceeded)).isEmpty();
        assertThat(invocations.deleteFinishedBefore(at(10))).isZero();
    }

    @Test
    void unknownIdsAreEmpty() {
        assertThat(invocations.find("0000000000aaaaaaaaaaaaaaaa")).isEmpty();
        assertThat(invocations.output("0000000000aaaaaaaaaaaaaaaa")).isEmpty();
        assertThat(invocations.log("0000000000aaaaaaaaaaaaaaaa")).isEmpty();
    }

    @Test
    void misuseFailsLoudlyAndChangesNothing() {
        String id = nextId();
        InvocationRecord accepted = queued(id, "app", at(0));
        invocations.accept(accepted, "x".getBytes(UTF_8));

        assertThatThrownBy(() -> invocations.accept(accepted, new byte[0])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> invocations.start(queued(nextId(), "app", at(0)).started(at(1))))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> invocations.start(accepted)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> invocations.finish(accepted.started(at(1)), new byte[0], ""))
                .isInstanceOf(IllegalArgumentException.class);

        InvocationRecord finished = accepted.started(at(1)).finished(execution(at(1), new Outcome.Exited(0), Optional.empty()));
        invocations.finish(finished, new byte[0], "");
        assertThatThrownBy(() -> invocations.start(accepted.started(at(2)))).isInstanceOf(IllegalStateException.class);

        assertThat(invocations.find(id)).contains(finished);
        assertThat(invocations.unfinished()).isEmpty();
    }

    private List<String> ids(InvocationQuery query) {
        return invocations.list(query).stream().map(InvocationRecord::id).toList();
    }

    private static InvocationQuery query(String arrow, InvocationStatus status, int limit, String before) {
        return new InvocationQuery(Optional.ofNullable(arrow), Optional.ofNullable(status), limit, Optional.ofNullable(before));
    }

    private boolean storedInputIsNull(String id) throws SQLException {
        try (var connection = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("state.db"));
             var select = connection.prepareStatement("SELECT input IS NULL FROM invocations WHERE id = ?")) {
            select.setString(1, id);
            try (var rows = select.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getBoolean(1);
            }
        }
    }
}
