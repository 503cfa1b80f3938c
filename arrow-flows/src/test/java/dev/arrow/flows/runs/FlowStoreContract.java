package dev.arrow.flows.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link FlowStore} must do, as its javadoc says. An implementation's test extends this
 * and gives a new, empty store per test.
 */
public abstract class FlowStoreContract {

    /** Nanoseconds on purpose: a store must keep instants exactly. */
    protected static final Instant T0 = Instant.parse("2031-05-04T10:15:30.123456789Z");

    private static final String SOURCE = "document: {dsl: '1.0.0', namespace: test, name: order, version: '1.0.0'}";

    protected FlowStore store;

    /** A new, empty store; called before each test. */
    protected abstract FlowStore newStore();

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    protected static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    protected static RunRecord run(String id, String flow, int revision, Instant startedAt) {
        return new RunRecord(id, flow, revision, RunStatus.RUNNING, "{\"order\":\"" + id + "\"}", Optional.empty(),
                Optional.empty(), 0, startedAt, Optional.empty(), "api");
    }

    protected static StepRecord step(String run, String path, StepStatus status, Instant startedAt) {
        boolean ended = status.ended();
        return new StepRecord(run, path, "call", 1, status, "{\"in\":\"" + path + "\"}",
                status == StepStatus.SUCCEEDED ? Optional.of("{\"out\":1}") : Optional.empty(),
                status == StepStatus.FAILED ? Optional.of("{\"status\":500}") : Optional.empty(),
                status == StepStatus.WAITING ? Optional.of(startedAt.plusSeconds(60)) : Optional.empty(),
                startedAt, ended ? Optional.of(startedAt.plusMillis(5)) : Optional.empty(), 0);
    }

    /** Starts a run and ends it at {@code endedAt}. */
    private void finished(String id, String flow, int revision, Instant startedAt, RunStatus status, Instant endedAt) {
        store.start(run(id, flow, revision, startedAt));
        assertThat(store.finish(id, status, Optional.empty(), Optional.of("{\"type\":\"x\"}"), endedAt)).isTrue();
    }

    // Revisions

    @Test
    void revisionsAreNumberedFromOneAndKeptAsDeployed() {
        FlowRevision first = store.deploy("order", Language.DSL, SOURCE, at(0));
        FlowRevision second = store.deploy("order", Language.DSL, SOURCE + "\n# ünïcödé", at(1));

        assertThat(first).isEqualTo(new FlowRevision("order", 1, Language.DSL, SOURCE, at(0)));
        assertThat(second).isEqualTo(new FlowRevision("order", 2, Language.DSL, SOURCE + "\n# ünïcödé", at(1)));
        assertThat(store.revision("order", 1)).contains(first);
        assertThat(store.revision("order", 2)).contains(second);
        assertThat(store.revision("order", 3)).isEmpty();
        assertThat(store.revision("other", 1)).isEmpty();
        assertThat(store.latest("order")).contains(second);
        assertThat(store.revisions("order")).containsExactly(first, second);
    }

    @Test
    void theSameSourceAgainIsTheSameRevisionAndWritesNothing() {
        FlowRevision first = store.deploy("order", Language.DSL, SOURCE, at(0));

        assertThat(store.deploy("order", Language.DSL, SOURCE, at(5))).isEqualTo(first);
        assertThat(store.revisions("order")).containsExactly(first);
    }

    @Test
    void onlyTheLatestRevisionCountsAsTheSame() {
        store.deploy("order", Language.DSL, SOURCE, at(0));
        store.deploy("order", Language.DSL, "other", at(1));

        FlowRevision third = store.deploy("order", Language.DSL, SOURCE, at(2));

        assertThat(third.revision()).isEqualTo(3);
        assertThat(third.deployedAt()).isEqualTo(at(2));
    }

    @Test
    void theSameSourceInAnotherLanguageIsANewRevision() {
        store.deploy("order", Language.DSL, "{}", at(0));

        FlowRevision asl = store.deploy("order", Language.ASL, "{}", at(1));

        assertThat(asl).isEqualTo(new FlowRevision("order", 2, Language.ASL, "{}", at(1)));
        assertThat(store.latest("order")).contains(asl);
    }

    @Test
    void flowsAreNumberedOnTheirOwn() {
        store.deploy("a", Language.DSL, SOURCE, at(0));
        store.deploy("a", Language.DSL, SOURCE + " ", at(1));

        assertThat(store.deploy("b", Language.ASL, SOURCE, at(2)).revision()).isEqualTo(1);
    }

    @Test
    void flowsListsTheLatestRevisionOfEachDeployedFlowByName() {
        FlowRevision b = store.deploy("b", Language.DSL, SOURCE, at(0));
        store.deploy("a", Language.DSL, SOURCE, at(1));
        FlowRevision a2 = store.deploy("a", Language.ASL, "{}", at(2));
        store.deploy("c", Language.DSL, SOURCE, at(3));
        store.delete("c");

        assertThat(store.flows()).containsExactly(a2, b);
    }

    @Test
    void aDeletedFlowIsGoneButItsNumbersGoOn() {
        store.deploy("order", Language.DSL, SOURCE, at(0));
        FlowRevision second = store.deploy("order", Language.DSL, "two", at(1));

        assertThat(store.delete("order")).isTrue();

        assertThat(store.latest("order")).isEmpty();
        assertThat(store.revisions("order")).isEmpty();
        assertThat(store.flows()).isEmpty();
        assertThat(store.delete("order")).isFalse();
        // The same source as the last revision: still a new one, numbered after every earlier one.
        FlowRevision third = store.deploy("order", Language.DSL, "two", at(2));
        assertThat(third).isEqualTo(new FlowRevision("order", 3, Language.DSL, "two", at(2)));
        assertThat(third).isNotEqualTo(second);
        assertThat(store.revisions("order")).containsExactly(third);
        assertThat(store.latest("order")).contains(third);
        assertThat(store.flows()).containsExactly(third);
    }

    @Test
    void deletingAFlowThatIsNotThereIsFalse() {
        assertThat(store.delete("nothing")).isFalse();
    }

    @Test
    void aDeletedFlowsRevisionsStayForItsRuns() {
        FlowRevision first = store.deploy("order", Language.DSL, SOURCE, at(0));
        store.start(run("r1", "order", 1, at(1)));

        store.delete("order");
        store.purge(at(100), 100);

        assertThat(store.revision("order", 1)).contains(first);
    }

    // Runs

    @Test
    void aRunIsStoredWithEveryField() {
        var run = new RunRecord("r1", "order", 3, RunStatus.RUNNING, "{\"a\":[1,2]}", Optional.empty(), Optional.empty(),
                2, at(7), Optional.empty(), "schedule");

        store.start(run);

        assertThat(store.run("r1")).contains(run);
        assertThat(store.run("r2")).isEmpty();
    }

    @Test
    void startingTheSameRunTwiceFails() {
        store.start(run("r1", "order", 1, at(0)));

        assertThatThrownBy(() -> store.start(run("r1", "order", 1, at(1)))).isInstanceOf(IllegalStateException.class);
        assertThat(store.run("r1").orElseThrow().startedAt()).isEqualTo(at(0));
    }

    @Test
    void runsAreListedNewestFirstFilteredAndLimited() {
        store.start(run("a1", "a", 1, at(1)));
        finished("b1", "b", 1, at(2), RunStatus.FAILED, at(3));
        finished("a2", "a", 1, at(4), RunStatus.SUCCEEDED, at(5));
        store.start(run("a3", "a", 2, at(6)));
        finished("b2", "b", 1, at(7), RunStatus.SUCCEEDED, at(8));

        assertThat(ids(store.runs(Optional.empty(), Optional.empty(), 10))).containsExactly("b2", "a3", "a2", "b1", "a1");
        assertThat(ids(store.runs(Optional.empty(), Optional.empty(), 2))).containsExactly("b2", "a3");
        assertThat(ids(store.runs(Optional.of("a"), Optional.empty(), 10))).containsExactly("a3", "a2", "a1");
        assertThat(ids(store.runs(Optional.of("a"), Optional.empty(), 1))).containsExactly("a3");
        assertThat(ids(store.runs(Optional.empty(), Optional.of(RunStatus.SUCCEEDED), 10))).containsExactly("b2", "a2");
        assertThat(ids(store.runs(Optional.of("b"), Optional.of(RunStatus.FAILED), 10))).containsExactly("b1");
        assertThat(ids(store.runs(Optional.of("b"), Optional.of(RunStatus.RUNNING), 10))).isEmpty();
        assertThat(ids(store.runs(Optional.of("c"), Optional.empty(), 10))).isEmpty();
    }

    @Test
    void runningRunsComeOldestFirstAndAreCounted() {
        store.start(run("r3", "b", 1, at(3)));
        store.start(run("r1", "a", 1, at(1)));
        finished("r2", "a", 1, at(2), RunStatus.CANCELLED, at(4));
        store.start(run("r4", "a", 1, at(5)));

        assertThat(ids(store.running())).containsExactly("r1", "r3", "r4");
        assertThat(store.countRunning()).isEqualTo(3);
    }

    @Test
    void nothingRunningIsZero() {
        assertThat(store.running()).isEmpty();
        assertThat(store.countRunning()).isZero();
    }

    @Test
    void aRunningRunFinishesOnce() {
        RunRecord started = run("r1", "order", 1, at(0));
        store.start(started);

        assertThat(store.finish("r1", RunStatus.SUCCEEDED, Optional.of("{\"ok\":true}"), Optional.empty(), at(9))).isTrue();

        var done = new RunRecord("r1", "order", 1, RunStatus.SUCCEEDED, started.input(), Optional.of("{\"ok\":true}"),
                Optional.empty(), 0, at(0), Optional.of(at(9)), "api");
        assertThat(store.run("r1")).contains(done);
        assertThat(store.finish("r1", RunStatus.CANCELLED, Optional.empty(), Optional.of("{}"), at(10))).isFalse();
        assertThat(store.run("r1")).contains(done);
        assertThat(store.countRunning()).isZero();
    }

    @Test
    void finishingARunThatIsNotThereIsFalse() {
        assertThat(store.finish("none", RunStatus.FAILED, Optional.empty(), Optional.empty(), at(0))).isFalse();
    }

    @Test
    void aRunCannotFinishAsRunning() {
        store.start(run("r1", "order", 1, at(0)));

        assertThatThrownBy(() -> store.finish("r1", RunStatus.RUNNING, Optional.empty(), Optional.empty(), at(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.run("r1").orElseThrow().endedAt()).isEmpty();
    }

    @Test
    void aFailedOrTimedOutRunIsRedrivenIntoRunning() {
        finished("failed", "order", 1, at(0), RunStatus.FAILED, at(1));
        finished("timed", "order", 1, at(2), RunStatus.TIMED_OUT, at(3));

        assertThat(store.redrive("failed", at(4))).isTrue();
        assertThat(store.redrive("timed", at(5))).isTrue();

        RunRecord failed = store.run("failed").orElseThrow();
        assertThat(failed.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(failed.redrives()).isEqualTo(1);
        assertThat(failed.endedAt()).isEmpty();
        assertThat(failed.startedAt()).isEqualTo(at(0));
        assertThat(failed.input()).isEqualTo("{\"order\":\"failed\"}");
        assertThat(ids(store.running())).containsExactly("failed", "timed");
        assertThat(store.countRunning()).isEqualTo(2);
        // Redriven while running: no.
        assertThat(store.redrive("failed", at(6))).isFalse();
        // Failed again, redriven again: one more.
        assertThat(store.finish("failed", RunStatus.FAILED, Optional.empty(), Optional.of("{}"), at(7))).isTrue();
        assertThat(store.redrive("failed", at(8))).isTrue();
        assertThat(store.run("failed").orElseThrow().redrives()).isEqualTo(2);
    }

    @Test
    void onlyAFailedOrTimedOutRunIsRedriven() {
        finished("ok", "order", 1, at(0), RunStatus.SUCCEEDED, at(1));
        finished("cancelled", "order", 1, at(2), RunStatus.CANCELLED, at(3));
        store.start(run("running", "order", 1, at(4)));

        assertThat(store.redrive("ok", at(5))).isFalse();
        assertThat(store.redrive("cancelled", at(5))).isFalse();
        assertThat(store.redrive("running", at(5))).isFalse();
        assertThat(store.redrive("none", at(5))).isFalse();
        assertThat(store.run("ok").orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(store.run("cancelled").orElseThrow().redrives()).isZero();
        assertThat(store.run("running").orElseThrow().redrives()).isZero();
    }

    // Steps

    @Test
    void stepsAreListedInTheOrderTheyStartedTiesByPath() {
        store.start(run("r1", "order", 1, at(0)));
        store.start(run("r2", "order", 1, at(0)));
        StepRecord third = step("r1", "/do/2/c", StepStatus.RUNNING, at(3));
        StepRecord firstB = step("r1", "/do/1/fork/branches/1/b", StepStatus.SUCCEEDED, at(1));
        StepRecord firstA = step("r1", "/do/1/fork/branches/0/a", StepStatus.FAILED, at(1));
        StepRecord zeroth = step("r1", "/do/0/validate", StepStatus.SKIPPED, at(0));

        store.record(List.of(third, firstB), true);
        store.record(List.of(firstA, zeroth, step("r2", "/do/0/validate", StepStatus.WAITING, at(0))), false);

        assertThat(store.steps("r1")).containsExactly(zeroth, firstA, firstB, third);
        assertThat(store.steps("r2")).singleElement().satisfies(s -> assertThat(s.dueAt()).contains(at(60)));
        assertThat(store.steps("r3")).isEmpty();
    }

    @Test
    void aStepRecordReplacesTheOneOfTheSameRunAndPath() {
        store.start(run("r1", "order", 1, at(0)));
        StepRecord running = step("r1", "/do/0/charge", StepStatus.RUNNING, at(1));
        store.record(List.of(running), true);

        var again = new StepRecord("r1", "/do/0/charge", "call", 2, StepStatus.SUCCEEDED, running.input(),
                Optional.of("{\"paid\":true}"), Optional.empty(), Optional.empty(), at(1), Optional.of(at(2)), 1);
        store.record(List.of(again), false);

        assertThat(store.steps("r1")).containsExactly(again);
    }

    @Test
    void theLastRecordOfAPathInOneCallWins() {
        store.start(run("r1", "order", 1, at(0)));
        StepRecord running = step("r1", "/do/0/wait", StepStatus.WAITING, at(1));
        StepRecord done = step("r1", "/do/0/wait", StepStatus.SUCCEEDED, at(1));

        store.record(List.of(running, done), true);
        store.record(List.of(), true);

        assertThat(store.steps("r1")).containsExactly(done);
    }

    @Test
    void concurrentWritersLoseNothing() throws Exception {
        int threads = 8;
        int each = 25;
        for (int t = 0; t < threads; t++) {
            store.start(run("r" + t, "order", 1, at(t)));
        }
        var tasks = new ArrayList<Callable<Void>>();
        for (int t = 0; t < threads; t++) {
            String runId = "r" + t;
            tasks.add(() -> {
                for (int i = 0; i < each; i++) {
                    store.record(List.of(step(runId, "/do/" + i + "/x", StepStatus.SUCCEEDED, at(i))), i % 2 == 0);
                }
                store.finish(runId, RunStatus.SUCCEEDED, Optional.of("{}"), Optional.empty(), at(100));
                return null;
            });
        }
        try (var executor = Executors.newFixedThreadPool(threads)) {
            for (Future<Void> done : executor.invokeAll(tasks)) {
                done.get();
            }
        }

        for (int t = 0; t < threads; t++) {
            assertThat(store.steps("r" + t)).hasSize(each);
        }
        assertThat(store.countRunning()).isZero();
        assertThat(store.runs(Optional.of("order"), Optional.of(RunStatus.SUCCEEDED), 100)).hasSize(threads);
    }

    // Purge

    @Test
    void purgeDeletesRunsFinishedBeforeTheCutoffWithTheirSteps() {
        finished("old", "order", 1, at(0), RunStatus.SUCCEEDED, at(10));
        finished("older", "order", 1, at(0), RunStatus.FAILED, at(5));
        finished("recent", "order", 1, at(0), RunStatus.SUCCEEDED, at(30));
        store.start(run("running", "order", 1, at(0)));
        for (String id : List.of("old", "older", "recent", "running")) {
            store.record(List.of(step(id, "/do/0/a", StepStatus.SUCCEEDED, at(1))), true);
        }

        assertThat(store.purge(at(20), 100)).isEqualTo(2);

        assertThat(store.run("old")).isEmpty();
        assertThat(store.run("older")).isEmpty();
        assertThat(store.steps("old")).isEmpty();
        assertThat(store.steps("older")).isEmpty();
        assertThat(ids(store.runs(Optional.empty(), Optional.empty(), 10))).containsExactlyInAnyOrder("recent", "running");
        assertThat(store.steps("recent")).hasSize(1);
        assertThat(store.steps("running")).hasSize(1);
        assertThat(store.purge(at(20), 100)).isZero();
    }

    @Test
    void purgeTakesAtMostLimitRunsTheOldestFirst() {
        finished("a", "order", 1, at(0), RunStatus.SUCCEEDED, at(3));
        finished("b", "order", 1, at(0), RunStatus.SUCCEEDED, at(1));
        finished("c", "order", 1, at(0), RunStatus.SUCCEEDED, at(2));

        assertThat(store.purge(at(10), 2)).isEqualTo(2);
        assertThat(ids(store.runs(Optional.empty(), Optional.empty(), 10))).containsExactly("a");
        assertThat(store.purge(at(10), 2)).isEqualTo(1);
        assertThat(store.runs(Optional.empty(), Optional.empty(), 10)).isEmpty();
    }

    @Test
    void purgeDeletesTheRevisionsOfDeletedFlowsThatNoRunNeeds() {
        store.deploy("gone", Language.DSL, "1", at(0));
        FlowRevision pinned = store.deploy("gone", Language.DSL, "2", at(0));
        FlowRevision kept = store.deploy("kept", Language.DSL, "1", at(0));
        finished("old", "gone", 1, at(1), RunStatus.SUCCEEDED, at(2));
        store.start(run("live", "gone", 2, at(3)));
        store.delete("gone");

        store.purge(at(10), 100);

        assertThat(store.revision("gone", 1)).isEmpty();
        assertThat(store.revision("gone", 2)).contains(pinned);
        assertThat(store.revision("kept", 1)).contains(kept);
        assertThat(store.revisions("gone")).isEmpty();
        assertThat(store.flows()).containsExactly(kept);

        // Once its last run is purged, the pinned revision goes too; the numbers still go on.
        store.finish("live", RunStatus.SUCCEEDED, Optional.empty(), Optional.empty(), at(11));
        assertThat(store.purge(at(20), 100)).isEqualTo(1);
        assertThat(store.revision("gone", 2)).isEmpty();
        assertThat(store.deploy("gone", Language.DSL, "2", at(21)).revision()).isEqualTo(3);
    }

    @Test
    void purgeKeepsEveryRevisionOfADeployedFlow() {
        FlowRevision first = store.deploy("order", Language.DSL, "1", at(0));
        FlowRevision second = store.deploy("order", Language.DSL, "2", at(0));
        finished("r", "order", 1, at(1), RunStatus.SUCCEEDED, at(2));

        assertThat(store.purge(at(10), 100)).isEqualTo(1);

        assertThat(store.revisions("order")).containsExactly(first, second);
    }

    private static List<String> ids(List<RunRecord> runs) {
        return runs.stream().map(RunRecord::id).toList();
    }
}
