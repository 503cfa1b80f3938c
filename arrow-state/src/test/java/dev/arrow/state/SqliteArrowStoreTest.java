package dev.arrow.state;

import static dev.arrow.state.Fixtures.at;
import static dev.arrow.state.Fixtures.fullSpec;
import static dev.arrow.state.Fixtures.simpleSpec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.ArrowStore;
import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.arrows.Revision;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteArrowStoreTest {

    @TempDir
    Path dir;

    private SqliteState state;
    private ArrowStore arrows;

    @BeforeEach
    void open() {
        state = SqliteState.open(dir.resolve("state.db"));
        arrows = state.arrows();
    }

    @AfterEach
    void close() {
        state.close();
    }

    @Test
    void aRevisionReadsBackExactlyAsDeployed() {
        ArrowSpec spec = fullSpec("wordcount");
        Revision added = arrows.addRevision(spec, at(0));

        Revision read = arrows.revision("wordcount", 1).orElseThrow();

        assertThat(read).isEqualTo(added).isEqualTo(new Revision("wordcount", 1, spec, at(0)));
        assertThat(read.spec().env().keySet()).containsExactly("ZETA", "alpha", "MIDDLE", "_x1");
        assertThat(read.spec().limits().timeout()).isEqualTo(spec.limits().timeout());
    }

    @Test
    void aSpecWithEveryDefaultReadsBackWithItsDefaults() {
        arrows.addRevision(simpleSpec("plain"), at(0));

        assertThat(arrows.revision("plain", 1).orElseThrow().spec()).isEqualTo(simpleSpec("plain"));
        assertThat(arrows.revision("plain", 1).orElseThrow().spec().bundle()).isEmpty();
    }

    @Test
    void instantsKeepTheirNanoseconds() {
        Instant precise = Instant.parse("2026-03-01T10:15:30.123456789Z");
        arrows.addRevision(simpleSpec("precise"), precise);

        assertThat(arrows.revision("precise", 1).orElseThrow().createdAt()).isEqualTo(precise);
        assertThat(arrows.arrow("precise").orElseThrow().createdAt()).isEqualTo(precise);
    }

    @Test
    void eachDeployIsTheNextRevisionAndTakesTheTraffic() {
        assertThat(arrows.addRevision(simpleSpec("app"), at(0)).number()).isEqualTo(1);
        assertThat(arrows.addRevision(fullSpec("app"), at(10)).number()).isEqualTo(2);
        assertThat(arrows.addRevision(simpleSpec("app"), at(20)).number()).isEqualTo(3);
        assertThat(arrows.addRevision(simpleSpec("other"), at(30)).number()).isEqualTo(1);

        assertThat(arrows.arrow("app")).contains(new ArrowSummary("app", 3, 3, at(0), at(20)));
        assertThat(arrows.revisions("app")).extracting(Revision::number).containsExactly(3, 2, 1);
        assertThat(arrows.revisions("app").get(1).spec()).isEqualTo(fullSpec("app"));
    }

    @Test
    void arrowsAreListedByName() {
        arrows.addRevision(simpleSpec("zebra"), at(0));
        arrows.addRevision(simpleSpec("alpha"), at(1));
        arrows.addRevision(simpleSpec("mid-1"), at(2));
        arrows.addRevision(simpleSpec("alpha"), at(3));

        assertThat(arrows.arrows()).containsExactly(
                new ArrowSummary("alpha", 2, 2, at(1), at(3)),
                new ArrowSummary("mid-1", 1, 1, at(2), at(2)),
                new ArrowSummary("zebra", 1, 1, at(0), at(0)));
    }

    @Test
    void unknownArrowsAndRevisionsAreEmpty() {
        arrows.addRevision(simpleSpec("app"), at(0));

        assertThat(arrows.arrow("nope")).isEmpty();
        assertThat(arrows.revision("nope", 1)).isEmpty();
        assertThat(arrows.revision("app", 2)).isEmpty();
        assertThat(arrows.revision("app", 0)).isEmpty();
        assertThat(arrows.revisions("nope")).isEmpty();
        assertThat(arrows.arrows()).extracting(ArrowSummary::name).containsExactly("app");
    }

    @Test
    void rollbackRoutesTrafficToAnOlderRevisionAndTheNextDeployTakesItBack() {
        arrows.addRevision(simpleSpec("app"), at(0));
        arrows.addRevision(simpleSpec("app"), at(1));
        arrows.addRevision(simpleSpec("app"), at(2));

        assertThat(arrows.route("app", 1, at(3))).isTrue();
        assertThat(arrows.arrow("app")).contains(new ArrowSummary("app", 3, 1, at(0), at(3)));

        assertThat(arrows.addRevision(simpleSpec("app"), at(4)).number()).isEqualTo(4);
        assertThat(arrows.arrow("app")).contains(new ArrowSummary("app", 4, 4, at(0), at(4)));
    }

    @Test
    void routingToAnUnknownArrowOrRevisionChangesNothing() {
        arrows.addRevision(simpleSpec("app"), at(0));
        arrows.addRevision(simpleSpec("app"), at(1));

        assertThat(arrows.route("app", 3, at(5))).isFalse();
        assertThat(arrows.route("app", 0, at(5))).isFalse();
        assertThat(arrows.route("nope", 1, at(5))).isFalse();

        assertThat(arrows.arrow("app")).contains(new ArrowSummary("app", 2, 2, at(0), at(1)));
        assertThat(arrows.arrow("nope")).isEmpty();
    }

    @Test
    void deleteRemovesTheArrowAndItsRevisionsButNotItsInvocations() {
        arrows.addRevision(simpleSpec("app"), at(0));
        arrows.addRevision(simpleSpec("app"), at(1));
        arrows.addRevision(simpleSpec("keep"), at(2));
        String id = Fixtures.nextId();
        state.invocations().finish(Fixtures.syncSucceeded(id, "app", at(3)), "out".getBytes(), "log");

        assertThat(arrows.delete("app")).isTrue();

        assertThat(arrows.arrow("app")).isEmpty();
        assertThat(arrows.revisions("app")).isEmpty();
        assertThat(arrows.revision("app", 1)).isEmpty();
        assertThat(arrows.arrows()).extracting(ArrowSummary::name).containsExactly("keep");
        assertThat(arrows.revisions("keep")).hasSize(1);
        assertThat(state.invocations().find(id)).isPresent();
        assertThat(state.invocations().output(id)).hasValueSatisfying(out -> assertThat(out).asString().isEqualTo("out"));
        assertThat(arrows.delete("app")).isFalse();
        assertThat(arrows.delete("never")).isFalse();
    }

    @Test
    void anArrowDeployedAgainAfterDeleteStartsOver() {
        arrows.addRevision(simpleSpec("app"), at(0));
        arrows.addRevision(simpleSpec("app"), at(1));
        arrows.delete("app");

        Revision again = arrows.addRevision(fullSpec("app"), at(5));

        assertThat(again.number()).isEqualTo(1);
        assertThat(arrows.arrow("app")).contains(new ArrowSummary("app", 1, 1, at(5), at(5)));
        assertThat(arrows.revisions("app")).containsExactly(again);
    }

    @Test
    void concurrentDeploysOfOneNameGetEveryNumberOnce() throws Exception {
        int threads = 8;
        int deploysEach = 25;
        List<Integer> numbers = deployConcurrently(List.of(arrows), threads, deploysEach, "busy");

        assertThat(numbers).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, threads * deploysEach).boxed().toList());
        assertThat(arrows.revisions("busy")).hasSize(threads * deploysEach);
        ArrowSummary summary = arrows.arrow("busy").orElseThrow();
        assertThat(summary.latestRevision()).isEqualTo(threads * deploysEach);
        assertThat(summary.trafficRevision()).isEqualTo(threads * deploysEach);
    }

    @Test
    void concurrentDeploysThroughTwoOpenStatesOfOneFileGetEveryNumberOnce() throws Exception {
        // As if a second process had the file open: atomicity must come from SQLite, not our thread.
        try (SqliteState second = SqliteState.open(dir.resolve("state.db"))) {
            List<Integer> numbers = deployConcurrently(List.of(arrows, second.arrows()), 4, 25, "shared");

            assertThat(numbers).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 100).boxed().toList());
            assertThat(second.arrows().revisions("shared")).hasSize(100);
        }
    }

    /** Each thread deploys through stores.get(thread % stores.size()); returns every number handed out. */
    private static List<Integer> deployConcurrently(List<ArrowStore> stores, int threads, int deploysEach, String name)
            throws Exception {
        var start = new CountDownLatch(1);
        Set<String> threadNames = ConcurrentHashMap.newKeySet();
        var futures = new ArrayList<Future<List<Integer>>>();
        try (var executor = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                ArrowStore store = stores.get(t % stores.size());
                futures.add(executor.submit(() -> {
                    threadNames.add(Thread.currentThread().getName());
                    start.await();
                    var mine = new ArrayList<Integer>();
                    for (int i = 0; i < deploysEach; i++) {
                        mine.add(store.addRevision(simpleSpec(name), at(i)).number());
                    }
                    return mine;
                }));
            }
            start.countDown();
            var all = new ArrayList<Integer>();
            for (Future<List<Integer>> future : futures) {
                all.addAll(future.get());
            }
            assertThat(threadNames).hasSize(threads);
            return all;
        }
    }

    // The store keeps arrows and revisions in memory: every write must show in the next read.

    @Test
    void aDeployAfterAReadIsSeenByTheNextRead() {
        arrows.addRevision(simpleSpec("cached"), at(0));
        assertThat(arrows.arrow("cached").orElseThrow().trafficRevision()).isEqualTo(1);

        arrows.addRevision(simpleSpec("cached"), at(1));

        assertThat(arrows.arrow("cached").orElseThrow().trafficRevision()).isEqualTo(2);
        assertThat(arrows.arrow("cached").orElseThrow().latestRevision()).isEqualTo(2);
    }

    @Test
    void aRollbackAfterAReadIsSeenByTheNextRead() {
        arrows.addRevision(simpleSpec("cached"), at(0));
        arrows.addRevision(simpleSpec("cached"), at(1));
        assertThat(arrows.arrow("cached").orElseThrow().trafficRevision()).isEqualTo(2);

        assertThat(arrows.route("cached", 1, at(2))).isTrue();

        assertThat(arrows.arrow("cached").orElseThrow().trafficRevision()).isEqualTo(1);
    }

    @Test
    void aDeleteDropsTheCachedArrowAndItsRevisions() {
        arrows.addRevision(fullSpec("cached"), at(0));
        assertThat(arrows.revision("cached", 1)).isPresent();
        assertThat(arrows.arrow("cached")).isPresent();

        arrows.delete("cached");

        assertThat(arrows.arrow("cached")).isEmpty();
        assertThat(arrows.revision("cached", 1)).isEmpty();
        // Deployed again, its first revision is the new spec, not the remembered one.
        arrows.addRevision(simpleSpec("cached"), at(1));
        assertThat(arrows.revision("cached", 1).orElseThrow().spec()).isEqualTo(simpleSpec("cached"));
    }
}
