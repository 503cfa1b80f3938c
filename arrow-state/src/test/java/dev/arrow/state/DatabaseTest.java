package dev.arrow.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write thread's group commit, against a real file; the stores' tests cover the SQL. */
class DatabaseTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Path file;
    private Database database;
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void open() throws Exception {
        file = Files.createFile(dir.resolve("state.db"));
        database = Database.open(file, Database.Synchronous.FULL);
        database.write(connection -> connection.createStatement()
                .execute("CREATE TABLE items (id TEXT NOT NULL PRIMARY KEY) STRICT"));
    }

    @AfterEach
    void close() {
        callers.shutdownNow();
        database.close();
    }

    @Test
    void aWriteThatFailsInAGroupFailsAloneAndTheOthersCommit() throws Exception {
        database.write(insert("taken"));
        var release = new CountDownLatch(1);
        Future<Integer> holder = holdTheWriter(release);

        Future<Integer> first = queue(insert("first"));
        Future<Integer> duplicate = queue(insert("taken"));
        Future<Integer> thrown = queue(connection -> {
            insert("thrown").run(connection);
            throw new IllegalArgumentException("the caller's own failure");
        });
        Future<Integer> last = queue(insert("last"));
        awaitQueued(4); // all in the writer's next group
        release.countDown();

        assertThat(first.get()).isEqualTo(1);
        assertThat(last.get()).isEqualTo(1);
        assertThat(holder.get()).isZero();
        assertThatThrownBy(duplicate::get).cause().isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("UNIQUE");
        assertThatThrownBy(thrown::get).cause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the caller's own failure");
        // The failed writes left nothing behind, the others are committed.
        assertThat(database.read(ids())).containsExactly("first", "last", "taken");
        try (Connection raw = connect()) {
            assertThat(rawCount(raw)).isEqualTo(3);
        }
    }

    @Test
    void aDeferredConstraintBrokenInAGroupFailsOnlyTheWriteThatBrokeIt() throws Exception {
        var release = new CountDownLatch(1);
        Future<Integer> holder = holdTheWriter(release);

        Future<Integer> before = queue(insert("before"));
        // An arrow routed to a revision that does not exist: checked only at COMMIT.
        Future<Integer> dangling = queue(connection -> connection.createStatement().executeUpdate("""
                INSERT INTO arrows (name, traffic_revision, created_at_ns, updated_at_ns) VALUES ('ghost', 7, 0, 0)"""));
        Future<Integer> after = queue(insert("after"));
        awaitQueued(3);
        release.countDown();

        assertThat(before.get()).isEqualTo(1);
        assertThat(after.get()).isEqualTo(1);
        assertThat(holder.get()).isZero();
        assertThatThrownBy(dangling::get).cause().isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("FOREIGN KEY");
        assertThat(database.read(ids())).containsExactly("after", "before");
        int arrows = database.read(connection -> {
            try (var rows = connection.createStatement().executeQuery("SELECT COUNT(*) FROM arrows")) {
                rows.next();
                return rows.getInt(1);
            }
        });
        assertThat(arrows).isZero();
    }

    @Test
    void whenTheGroupsTransactionIsLostNoWriteOfTheGroupIsReportedCommitted() throws Exception {
        var release = new CountDownLatch(1);
        Future<Integer> holder = holdTheWriter(release);

        Future<Integer> lost = queue(insert("lost"));
        // Ends the shared transaction behind the writer's back, as a failed fsync or a full disk may.
        Future<Integer> rogue = queue(connection -> connection.createStatement().executeUpdate("ROLLBACK"));
        awaitQueued(2);
        release.countDown();

        assertThat(holder.get()).isZero();
        assertThatThrownBy(rogue::get).cause().isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(lost::get).cause().isInstanceOf(UncheckedIOException.class);
        // The writer goes on with the next group.
        assertThat(database.write(insert("next"))).isEqualTo(1);
        assertThat(database.read(ids())).containsExactly("next");
    }

    @Test
    void manyConcurrentWritersAreAllCommittedAndVisible() throws Exception {
        int threads = 64;
        int writesEach = 50;
        var futures = new ArrayList<Future<?>>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(callers.submit(() -> {
                for (int w = 0; w < writesEach; w++) {
                    assertThat(database.write(insert("item-" + thread + "-" + w))).isEqualTo(1);
                    // What a write returned committed is there for the next read, on any connection.
                    assertThat(database.read(count("id = 'item-" + thread + "-" + w + "'"))).isEqualTo(1);
                }
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }

        assertThat(database.read(count("1"))).isEqualTo(threads * writesEach);
        try (Connection raw = connect()) {
            assertThat(rawCount(raw)).isEqualTo(threads * writesEach);
        }
    }

    @Test
    void aWriteAfterCloseFails() {
        database.close();

        assertThatThrownBy(() -> database.write(insert("late"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> database.read(ids())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeCommitsTheQueuedWritesFirst() throws Exception {
        var release = new CountDownLatch(1);
        Future<Integer> holder = holdTheWriter(release);
        var queued = new ArrayList<Future<Integer>>();
        for (int i = 0; i < 5; i++) {
            queued.add(queue(insert("queued-" + i)));
        }
        awaitQueued(5);

        Future<?> closing = callers.submit(database::close);
        awaitQueued(6); // close has queued its end behind them
        assertThatThrownBy(() -> database.write(insert("too-late"))).isInstanceOf(IllegalStateException.class);
        assertThat(closing).isNotDone();
        release.countDown();
        closing.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(holder.get()).isZero();
        for (Future<Integer> future : queued) {
            assertThat(future.get()).isEqualTo(1);
        }
        try (Connection raw = connect()) {
            assertThat(rawCount(raw)).isEqualTo(5);
        }
    }

    @Test
    void anInterruptedCallerStillHasItsWriteCommitted() throws Exception {
        var release = new CountDownLatch(1);
        Future<Integer> holder = holdTheWriter(release);
        var result = new CompletableFuture<Integer>();
        var stillInterrupted = new CompletableFuture<Boolean>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                result.complete(database.write(insert("interrupted")));
                stillInterrupted.complete(Thread.currentThread().isInterrupted());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        awaitQueued(1);

        caller.interrupt();
        release.countDown();
        caller.join(PATIENCE.toMillis());

        assertThat(holder.get()).isZero();
        assertThat(result).isCompletedWithValue(1);
        assertThat(stillInterrupted).isCompletedWithValue(true);
        assertThat(database.read(ids())).containsExactly("interrupted");
    }

    @Test
    void soonWritesReturnAtOnceAndWaitForOthersToShareTheirCommit() throws Exception {
        var committedBefore = new CompletableFuture<Integer>();
        database.writeSoon(insert("first"));
        Thread.sleep(3); // the writer has taken "first" by now, and waits for company
        database.writeSoon(connection -> {
            try (Connection raw = connect()) {
                committedBefore.complete(rawCount(raw)); // what other connections see: not "first" yet
            }
            return insert("second").run(connection);
        });
        assertThat(committedBefore.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("first committed alone").isZero();
        await().atMost(PATIENCE).until(() -> database.read(ids()).equals(List.of("first", "second")));
    }

    @Test
    void aWaitedForWriteCommitsTheSoonWritesQueuedBeforeItAndAFailedSoonWriteFailsAlone() {
        database.writeSoon(insert("soon"));
        database.writeSoon(insert("soon")); // a duplicate: logged, and nothing else fails
        database.write(insert("now"));
        assertThat(database.read(ids())).containsExactly("now", "soon");
    }

    @Test
    void anUnsyncedWriteIsCommittedAndVisibleAtOnceAndOnlySyncedWritesCommitWithTheFsync() throws Exception {
        Database.Work<Integer> synchronousSetting = connection -> {
            try (var rows = connection.createStatement().executeQuery("PRAGMA synchronous")) {
                rows.next();
                return rows.getInt(1); // 1 NORMAL, 2 FULL
            }
        };
        int setting = database.writeUnsynced(connection -> {
            insert("unsynced").run(connection);
            return synchronousSetting.run(connection);
        });
        assertThat(setting).isEqualTo(1);
        try (Connection raw = connect()) {
            assertThat(rawCount(raw)).as("committed when it returned").isEqualTo(1);
        }
        assertThat(database.write(synchronousSetting)).isEqualTo(2);
        assertThat((int) database.writeUnsynced(synchronousSetting)).isEqualTo(1);

        var release = new CountDownLatch(1);
        Future<Integer> holder = holdTheWriter(release);
        var unsynced = new CompletableFuture<Integer>();
        Thread.ofVirtual().start(() -> unsynced.complete(database.writeUnsynced(synchronousSetting)));
        Future<Integer> synced = queue(synchronousSetting);
        awaitQueued(2);
        release.countDown();
        assertThat(holder.get()).isZero();
        assertThat(unsynced.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("in a group with a synced write").isEqualTo(2);
        assertThat(synced.get()).isEqualTo(2);
    }

    @Test
    void closeCommitsSoonWrites() throws Exception {
        for (int i = 0; i < 5; i++) {
            database.writeSoon(insert("soon-" + i));
        }
        database.close();
        try (Connection raw = connect()) {
            assertThat(rawCount(raw)).isEqualTo(5);
        }
        assertThatThrownBy(() -> database.writeSoon(insert("late"))).isInstanceOf(IllegalStateException.class);
    }

    /** A write that keeps the write thread busy until released, so that others queue behind it. */
    private Future<Integer> holdTheWriter(CountDownLatch release) throws InterruptedException {
        var entered = new CountDownLatch(1);
        Future<Integer> holder = queue(connection -> {
            entered.countDown();
            try {
                if (!release.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        });
        assertThat(entered.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        return holder;
    }

    private <T> Future<T> queue(Database.Work<T> work) {
        return callers.submit(() -> database.write(work));
    }

    private void awaitQueued(int writes) {
        await().atMost(PATIENCE).until(() -> database.queuedWrites() == writes);
    }

    private static Database.Work<List<String>> ids() {
        return connection -> {
            try (var rows = connection.createStatement().executeQuery("SELECT id FROM items ORDER BY id")) {
                var ids = new ArrayList<String>();
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
                return ids;
            }
        };
    }

    private static Database.Work<Integer> insert(String id) {
        return connection -> {
            try (var insert = connection.prepareStatement("INSERT INTO items (id) VALUES (?)")) {
                insert.setString(1, id);
                return insert.executeUpdate();
            }
        };
    }

    private static Database.Work<Integer> count(String where) {
        return connection -> {
            try (var rows = connection.createStatement().executeQuery("SELECT COUNT(*) FROM items WHERE " + where)) {
                rows.next();
                return rows.getInt(1);
            }
        };
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    private static int rawCount(Connection raw) throws SQLException {
        try (var rows = raw.createStatement().executeQuery("SELECT COUNT(*) FROM items")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
