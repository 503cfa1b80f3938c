package dev.arrow.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * The SQLite connections and the threads that use them.
 *
 * <p>sqlite-jdbc works through JNI, and a virtual thread inside a native call pins its carrier:
 * with many virtual threads calling in, an fsync would stall the whole carrier pool (2 threads on
 * a 2-core node). So no caller touches a connection; the work runs on a few platform threads and
 * the caller parks on a future, which frees its carrier. Reads run on a small pool with their own
 * connections; in WAL mode they neither wait for the writer nor block it.
 *
 * <p>Writes all go to one thread with the only write connection, since SQLite has one writer
 * anyway: that serializes them without a lock. The thread commits in groups: it takes the first
 * queued write, then whatever else is queued (up to {@value #MAX_BATCH}), and runs them all in one
 * {@code BEGIN IMMEDIATE} transaction (immediate, so another process on the same file waits on
 * busy_timeout instead of failing on a lock upgrade). A write that throws must fail alone while
 * the others go on, but writes rarely throw, and a SAVEPOINT and RELEASE around each one cost
 * more than a small INSERT: so a group first runs bare, and only if one of its writes throws is
 * it rolled back and run again with each write inside its own SAVEPOINT, where the one that
 * throws is rolled back to its savepoint and fails alone. Then one COMMIT,
 * one fsync of the WAL for the whole group, and only after it does any caller learn its result:
 * when {@link #write} returns, that write is committed durably, and a failed COMMIT fails every
 * write of the group. Under load the fsyncs no longer queue up one per write; a lone write still
 * commits at once, since the thread never waits for a group to fill. A group of only
 * {@link #writeUnsynced} and soon writes commits without the fsync (an invocation's record: a
 * lone commit costs several times more with it); the next synced commit syncs it too.
 *
 * <p>A write whose caller need not wait ({@link #writeSoon}: a gateway request's record, written
 * after its response) is queued the same way, but a group made only of such writes waits up to
 * {@value #SOON_MILLIS} ms for more before it commits: under load, a hundred commits a second
 * rather than one per request. A crash may lose those last milliseconds of records, as it could
 * lose a record between a response and its write anyway.
 *
 * <p>A deferred constraint (the arrows to revisions foreign key) is checked only at COMMIT, not at
 * a savepoint. So if COMMIT finds one broken, the group is rolled back and its writes run again,
 * one transaction each, for only the write that broke it to fail. A {@link Work} may therefore
 * run more than once; it must have no effect but on the connection.
 */
final class Database implements AutoCloseable {

    /**
     * How a commit reaches the disk; FULL syncs the WAL on every commit, so an accepted async
     * invocation survives a power cut. Measured on the 2-core dev VM, async invocations (three
     * writes each) from 64 callers: about 4500/s with FULL against 5000/s with NORMAL, the writes
     * committed in groups of about 32 (one commit per write, it was 900/s against 1700/s); well
     * above the node's 300/s, FULL it is.
     */
    enum Synchronous { NORMAL, FULL }

    private static final System.Logger LOG = System.getLogger(Database.class.getName());
    private static final int READERS = 3;
    private static final int MAX_BATCH = 256;
    private static final long SOON_MILLIS = 10;
    private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(10);
    private static final int SQLITE_CONSTRAINT = 19; // the primary result code, in the low byte

    /**
     * One unit of work on a connection. A write may run more than once, after a rollback (see the
     * class comment), so it must have no effect but on the connection.
     */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * A write waiting for the writer thread, and the future its caller parks on; {@code soon}: no
     * caller waits, so it may wait a little for others to share its commit.
     */
    private record Pending<T>(Work<T> work, CompletableFuture<T> result, boolean soon, boolean synced,
            long queuedNanos) {

        Pending(Work<T> work, boolean synced) {
            this(work, new CompletableFuture<>(), false, synced, 0);
        }

        @SuppressWarnings("unchecked")
        void succeed(Object value) {
            result.complete((T) value);
        }

        void fail(Throwable failure) {
            result.completeExceptionally(failure);
        }
    }

    /** Put on the queue by close, behind every write accepted before it. */
    private static final Pending<Void> END = new Pending<>(connection -> null, false);

    private final Path file;
    private final Synchronous synchronous;
    private Synchronous writerSynchronous; // the write thread's only
    private final Connection writer;
    private final BlockingQueue<Connection> readers;
    private final List<Connection> allReaders;
    private final BlockingQueue<Pending<?>> writes = new LinkedBlockingQueue<>();
    private final ReentrantLock accepting = new ReentrantLock();
    private boolean closed; // guarded by accepting
    private final Thread writeThread;
    // Each connection's prepared statements, used only by the thread that holds the connection
    // (the writer's by the write thread; a reader's by the read thread that took it from the queue).
    private final Map<Connection, Map<String, PreparedStatement>> statements = new IdentityHashMap<>();
    private final ExecutorService readThreads;

    private Database(Path file, Connection writer, List<Connection> readers, Synchronous synchronous) {
        this.file = file;
        this.synchronous = synchronous;
        this.writerSynchronous = synchronous;
        this.writer = writer;
        this.allReaders = List.copyOf(readers);
        statements.put(writer, new HashMap<>());
        readers.forEach(reader -> statements.put(reader, new HashMap<>()));
        this.readers = new ArrayBlockingQueue<>(readers.size(), false, readers);
        this.readThreads = Executors.newFixedThreadPool(readers.size(),
                Thread.ofPlatform().daemon().name("arrow-state-reader-", 0).factory());
        this.writeThread = Thread.ofPlatform().daemon().name("arrow-state-writer").start(this::writeLoop);
    }

    /** Opens the file (which must exist), brings its schema up to date and starts the threads. */
    static Database open(Path file, Synchronous synchronous) {
        var opened = new ArrayList<Connection>();
        try {
            Connection writer = connect(file, opened);
            try (Statement statement = writer.createStatement()) {
                // WAL is a property of the file and survives reopening; synchronous is per connection.
                statement.execute("PRAGMA journal_mode = WAL");
                statement.execute("PRAGMA synchronous = " + synchronous.name());
            }
            Schema.migrate(writer);
            var readers = new ArrayList<Connection>();
            for (int i = 0; i < READERS; i++) {
                Connection reader = connect(file, opened);
                try (Statement statement = reader.createStatement()) {
                    statement.execute("PRAGMA query_only = ON");
                }
                readers.add(reader);
            }
            return new Database(file, writer, readers, synchronous);
        } catch (SQLException | RuntimeException e) {
            for (Connection connection : opened) {
                try {
                    connection.close();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof SQLException sql) {
                throw failure("cannot open the state database " + file, sql);
            }
            throw (RuntimeException) e;
        }
    }

    private static Connection connect(Path file, List<Connection> opened) throws SQLException {
        var config = new SQLiteConfig();
        // Otherwise the driver runs "SELECT last_insert_rowid()" after every INSERT: no table
        // here has a generated key, and it doubled the cost of a gateway request's record.
        config.setGetGeneratedKeys(false);
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(),
                config.toProperties());
        opened.add(connection);
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT.toMillis());
            statement.execute("PRAGMA foreign_keys = ON");
        }
        return connection;
    }

    /**
     * Runs {@code work} in one write transaction, possibly shared with other writes: all of it is
     * committed, durably, or none.
     */
    <T> T write(Work<T> work) {
        var pending = new Pending<>(work, true);
        enqueue(pending);
        return await(pending.result());
    }

    /**
     * As {@link #write}, but the commit is not synced to the disk when the database is FULL: when
     * this returns, the write is committed and every read sees it, and it survives the node's
     * process dying; an OS crash or a power cut before the next synced commit or checkpoint (which
     * sync the WAL, this write with it) may lose it. For what is worth a millisecond less to wait
     * for rather than that: an invocation's record, whose async input, if any, was stored synced.
     */
    <T> T writeUnsynced(Work<T> work) {
        var pending = new Pending<>(work, false);
        enqueue(pending);
        return await(pending.result());
    }

    /**
     * Queues {@code work} to be committed within about {@value #SOON_MILLIS} ms, and returns at
     * once; a failure is logged. Writes, soon or not, are committed in the order they were queued.
     */
    void writeSoon(Work<?> work) {
        var pending = new Pending<>(work, new CompletableFuture<>(), true, false, System.nanoTime());
        pending.result().whenComplete((ignored, failure) -> {
            if (failure != null) {
                LOG.log(System.Logger.Level.WARNING, "a deferred write to " + file + " failed", failure);
            }
        });
        enqueue(pending);
    }

    private void enqueue(Pending<?> pending) {
        accepting.lock();
        try {
            if (closed) {
                throw closedFailure(null);
            }
            writes.add(pending);
        } finally {
            accepting.unlock();
        }
        if (!pending.soon() || writes.size() >= MAX_BATCH) {
            LockSupport.unpark(writeThread); // may be gathering soon writes (see gatherSoon)
        }
    }

    /**
     * How many writes are queued behind the group the write thread is running (after close, its
     * end marker too); lets tests line up a group.
     */
    int queuedWrites() {
        return writes.size();
    }

    /** Runs {@code work} on one consistent snapshot. */
    <T> T read(Work<T> work) {
        return await(submit(readThreads, () -> {
            Connection connection = readers.take();
            try {
                return inTransaction(connection, "BEGIN", work);
            } finally {
                readers.put(connection);
            }
        }));
    }

    private <T> T inTransaction(Connection connection, String begin, Work<T> work) throws SQLException {
        // Explicit statements rather than setAutoCommit(false): the driver would then keep a
        // transaction open between calls, and an open IMMEDIATE one holds the file's write lock.
        prepared(connection, begin).execute();
        try {
            T result = work.run(connection);
            prepared(connection, "COMMIT").execute();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            // A failed COMMIT may or may not have ended the transaction; ROLLBACK without one is
            // a harmless error, so always try.
            try (Statement statement = connection.createStatement()) {
                statement.execute("ROLLBACK");
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            // A statement that failed with its transaction may be left unusable: prepare anew.
            forgetStatements(connection);
            throw e;
        }
    }

    /** The write thread's loop: one group per turn, until it takes the END that close queued. */
    private void writeLoop() {
        var group = new ArrayList<Pending<?>>(MAX_BATCH);
        boolean ending = false;
        while (!ending) {
            group.clear();
            group.add(takeUninterruptibly());
            writes.drainTo(group, MAX_BATCH - 1);
            gatherSoon(group);
            // close queues END after every write it let in and lets none in after it.
            if (group.getLast() == END) {
                group.removeLast();
                ending = true;
            }
            if (!group.isEmpty()) {
                try {
                    syncAsNeeded(group);
                    commitGroup(group);
                } catch (Throwable e) {
                    // Whatever went wrong, no caller is left waiting and the thread goes on.
                    for (Pending<?> pending : group) {
                        pending.fail(e);
                    }
                }
            }
        }
    }

    /** A FULL database syncs a group's commit only when one of its writes asks for it. */
    private void syncAsNeeded(List<Pending<?>> group) throws SQLException {
        if (synchronous != Synchronous.FULL) {
            return;
        }
        Synchronous wanted = Synchronous.NORMAL;
        for (Pending<?> pending : group) {
            if (pending.synced()) {
                wanted = Synchronous.FULL;
                break;
            }
        }
        if (wanted != writerSynchronous) {
            execute("PRAGMA synchronous = " + wanted.name()); // takes effect from the next transaction
            writerSynchronous = wanted;
        }
    }

    /** While the group holds only writes no caller waits for, waits for more until the first has waited its time. */
    private void gatherSoon(List<Pending<?>> group) {
        long deadline = group.getFirst().queuedNanos() + TimeUnit.MILLISECONDS.toNanos(SOON_MILLIS);
        int checked = 0;
        while (true) {
            writes.drainTo(group, MAX_BATCH - group.size());
            if (group.size() >= MAX_BATCH) {
                return;
            }
            for (; checked < group.size(); checked++) {
                if (!group.get(checked).soon()) {
                    return;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            // Not a poll on the queue: that woke this thread once per soon write, which cost as
            // much as the write. Only a write somebody waits for, or a full group, unparks it.
            LockSupport.parkNanos(this, left);
            Thread.interrupted(); // as in takeUninterruptibly
        }
    }

    private Pending<?> takeUninterruptibly() {
        while (true) {
            try {
                return writes.take();
            } catch (InterruptedException e) {
                // Nobody else has this thread; it stops when close says so, never on interrupt.
            }
        }
    }

    /**
     * Runs {@code group} in one transaction and completes each write's future only once the COMMIT
     * is through: first bare, and if a write throws, once more with savepoints.
     */
    private void commitGroup(List<Pending<?>> group) {
        if (group.size() > 1 && commitBare(group)) {
            return;
        }
        commitWithSavepoints(group);
    }

    /**
     * The common case, every write going through: one transaction without savepoints. False,
     * with the transaction rolled back and no future completed, when a write threw.
     */
    private boolean commitBare(List<Pending<?>> group) {
        var results = new ArrayList<Object>(group.size());
        try {
            execute("BEGIN IMMEDIATE");
            try {
                for (Pending<?> pending : group) {
                    results.add(pending.work().run(writer));
                }
            } catch (Throwable e) {
                forgetStatements(writer); // the work's own may have been left mid-step
                execute("ROLLBACK");
                return false;
            }
        } catch (SQLException e) {
            // BEGIN or ROLLBACK failed: the savepoint path meets the same trouble and reports it.
            forgetStatements(writer);
            rollbackQuietly();
            return false;
        }
        try {
            execute("COMMIT");
        } catch (SQLException e) {
            forgetStatements(writer);
            rollbackQuietly();
            return false; // a deferred constraint, or the disk: the savepoint path sorts out which
        }
        for (int i = 0; i < group.size(); i++) {
            group.get(i).succeed(results.get(i));
        }
        return true;
    }

    private void rollbackQuietly() {
        try {
            execute("ROLLBACK");
        } catch (SQLException ignored) {
            // no transaction was open
        }
    }

    /** Each write in its own savepoint: one that throws fails alone, at once. */
    private void commitWithSavepoints(List<Pending<?>> group) {
        var done = new ArrayList<Pending<?>>(group.size());
        var results = new ArrayList<Object>(group.size());
        boolean committing = false;
        try {
            execute("BEGIN IMMEDIATE");
            for (Pending<?> pending : group) {
                execute("SAVEPOINT write");
                Object result;
                try {
                    result = pending.work().run(writer);
                } catch (Throwable e) {
                    forgetStatements(writer); // the work's own may have been left mid-step
                    // If SQLite has rolled the whole transaction back on its own (it may, on an
                    // I/O error or a full disk), the savepoint is gone: that fails the group.
                    try {
                        execute("ROLLBACK TO write");
                    } catch (SQLException lost) {
                        lost.addSuppressed(e);
                        throw lost;
                    }
                    pending.fail(e);
                    execute("RELEASE write");
                    continue;
                }
                execute("RELEASE write");
                done.add(pending);
                results.add(result);
            }
            committing = true;
            execute("COMMIT");
        } catch (SQLException | RuntimeException | Error e) {
            // A failed COMMIT may or may not have ended the transaction; ROLLBACK without one is
            // a harmless error, so always try.
            // A statement that failed with its transaction may be left unusable: prepare anew.
            forgetStatements(writer);
            try {
                execute("ROLLBACK");
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (committing && done.size() > 1 && e instanceof SQLException sql && isConstraint(sql)) {
                // A deferred constraint, checked only now: find the write that broke it.
                for (Pending<?> pending : done) {
                    runAlone(pending);
                }
                return;
            }
            for (Pending<?> pending : group) {
                pending.fail(e); // no effect on the writes that have already failed alone
            }
            return;
        }
        for (int i = 0; i < done.size(); i++) {
            done.get(i).succeed(results.get(i));
        }
    }

    private void runAlone(Pending<?> pending) {
        try {
            pending.succeed(inTransaction(writer, "BEGIN IMMEDIATE", pending.work()));
        } catch (Throwable e) {
            pending.fail(e);
        }
    }

    private void execute(String sql) throws SQLException {
        prepared(sql).execute();
    }

    /** Work with one prepared statement. */
    @FunctionalInterface
    interface StatementWork<T> {
        T run(PreparedStatement statement) throws SQLException;
    }

    /**
     * Runs {@code work} with a statement of {@code sql} on {@code connection} (the writer or a
     * reader), prepared once per connection: compiling a statement costs SQLite more than running
     * a small one, and a warm invocation's record or a KV get is one among thousands a second.
     */
    <T> T withStatement(Connection connection, String sql, StatementWork<T> work) throws SQLException {
        return work.run(prepared(connection, sql));
    }

    private void forgetStatements(Connection connection) {
        Map<String, PreparedStatement> prepared = statements.get(connection);
        for (PreparedStatement statement : prepared.values()) {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // it goes either way
            }
        }
        prepared.clear();
    }

    /** The connection's statement of {@code sql}, parameters cleared; never closed by its user. */
    private PreparedStatement prepared(Connection connection, String sql) throws SQLException {
        Map<String, PreparedStatement> prepared = statements.get(connection);
        PreparedStatement statement = prepared.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            prepared.put(sql, statement);
        }
        statement.clearParameters();
        return statement;
    }

    private PreparedStatement prepared(String sql) throws SQLException {
        return prepared(writer, sql);
    }

    private static boolean isConstraint(SQLException e) {
        return (e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT;
    }

    private <T> Future<T> submit(ExecutorService executor, java.util.concurrent.Callable<T> task) {
        try {
            return executor.submit(task);
        } catch (RejectedExecutionException e) {
            throw closedFailure(e);
        }
    }

    private IllegalStateException closedFailure(RejectedExecutionException cause) {
        return new IllegalStateException("the state database " + file + " is closed", cause);
    }

    /**
     * Waits without giving up on interrupt: a write the caller stopped waiting for would still
     * happen, and a caller told "failed" about an accepted invocation would be lied to.
     */
    private <T> T await(Future<T> future) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw rethrown(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private RuntimeException rethrown(Throwable cause) {
        return switch (cause) {
            case SQLException sql -> failure("state database " + file, sql);
            case RuntimeException runtime -> runtime;
            case Error error -> throw error;
            default -> new IllegalStateException(cause);
        };
    }

    /**
     * A broken constraint is a caller's bug (e.g. accepting one id twice): IllegalStateException.
     * Anything else means the storage failed (disk full, I/O error, file locked): UncheckedIOException.
     */
    static RuntimeException failure(String what, SQLException e) {
        if (isConstraint(e)) {
            return new IllegalStateException(what + ": " + e.getMessage(), e);
        }
        return new UncheckedIOException(what + ": " + e.getMessage(), new IOException(e));
    }

    @Override
    public void close() {
        accepting.lock();
        try {
            if (!closed) {
                closed = true;
                writes.add(END);
                LockSupport.unpark(writeThread);
            }
        } finally {
            accepting.unlock();
        }
        readThreads.shutdown();
        // Queued writes finish first: every write a caller is waiting for is committed.
        joinUninterruptibly(writeThread);
        awaitTermination(readThreads);
        var failures = new ArrayList<SQLException>();
        for (Connection connection : allReaders) {
            forgetStatements(connection);
            closeQuietly(connection, failures);
        }
        // The writer last: closing the last connection checkpoints the WAL into the main file.
        forgetStatements(writer);
        closeQuietly(writer, failures);
        if (!failures.isEmpty()) {
            throw failure("closing the state database " + file, failures.getFirst());
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitTermination(ExecutorService executor) {
        boolean interrupted = false;
        while (true) {
            try {
                if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection connection, List<SQLException> failures) {
        try {
            connection.close();
        } catch (SQLException e) {
            failures.add(e);
        }
    }
}
