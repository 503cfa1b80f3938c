package dev.arrow.services.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The SQLite connections and the threads that use them.
 *
 * <p>sqlite-jdbc works through JNI, and a virtual thread inside a native call pins its carrier:
 * with many virtual threads calling in, an fsync would stall the whole carrier pool (2 threads on
 * a 2-core node). So no caller touches a connection; the work runs on a few platform threads and
 * the caller parks on a future, which frees its carrier. Writes all go to one thread with the only
 * write connection, since SQLite has one writer anyway: that serializes them without a lock and
 * each write runs in its own {@code BEGIN IMMEDIATE} transaction (immediate, so another process on
 * the same file waits on busy_timeout instead of failing on a lock upgrade). Reads run on a small
 * pool with their own connections; in WAL mode they neither wait for the writer nor block it.
 */
final class Database implements AutoCloseable {

    /**
     * How a commit reaches the disk; FULL syncs the WAL on every commit, so an accepted async
     * invocation survives a power cut. Measured on the 2-core dev VM, async invocations (three
     * commits each) from 64 callers: about 900/s with FULL against 1700/s with NORMAL, well above
     * the node's 300/s; FULL it is.
     */
    enum Synchronous { NORMAL, FULL }

    private static final int READERS = 3;
    private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(10);

    /** One unit of work on a connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Path file;
    private final Connection writer;
    private final BlockingQueue<Connection> readers;
    private final List<Connection> allReaders;
    private final ExecutorService writeThread;
    private final ExecutorService readThreads;

    private Database(Path file, Connection writer, List<Connection> readers) {
        this.file = file;
        this.writer = writer;
        this.allReaders = List.copyOf(readers);
        this.readers = new ArrayBlockingQueue<>(readers.size(), false, readers);
        this.writeThread = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("arrow-state-writer").factory());
        this.readThreads = Executors.newFixedThreadPool(readers.size(),
                Thread.ofPlatform().daemon().name("arrow-state-reader-", 0).factory());
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
            return new Database(file, writer, readers);
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
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        opened.add(connection);
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT.toMillis());
            statement.execute("PRAGMA foreign_keys = ON");
        }
        return connection;
    }

    /** Runs {@code work} in one write transaction: all of it is committed, durably, or none. */
    <T> T write(Work<T> work) {
        return await(submit(writeThread, () -> inTransaction(writer, "BEGIN IMMEDIATE", work)));
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

    private static <T> T inTransaction(Connection connection, String begin, Work<T> work) throws SQLException {
        // Explicit statements rather than setAutoCommit(false): the driver would then keep a
        // transaction open between calls, and an open IMMEDIATE one holds the file's write lock.
        try (Statement statement = connection.createStatement()) {
            statement.execute(begin);
        }
        try {
            T result = work.run(connection);
            try (Statement statement = connection.createStatement()) {
                statement.execute("COMMIT");
            }
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            // A failed COMMIT may or may not have ended the transaction; ROLLBACK without one is
            // a harmless error, so always try.
            try (Statement statement = connection.createStatement()) {
                statement.execute("ROLLBACK");
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private <T> Future<T> submit(ExecutorService executor, java.util.concurrent.Callable<T> task) {
        try {
            return executor.submit(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the state database " + file + " is closed", e);
        }
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
        int primaryCode = e.getErrorCode() & 0xff;
        if (primaryCode == 19) { // SQLITE_CONSTRAINT
            return new IllegalStateException(what + ": " + e.getMessage(), e);
        }
        return new UncheckedIOException(what + ": " + e.getMessage(), new IOException(e));
    }

    @Override
    public void close() {
        // Queued work finishes first: every write a caller is waiting for is committed.
        writeThread.shutdown();
        readThreads.shutdown();
        awaitTermination(writeThread);
        awaitTermination(readThreads);
        var failures = new ArrayList<SQLException>();
        for (Connection connection : allReaders) {
            closeQuietly(connection, failures);
        }
        // The writer last: closing the last connection checkpoints the WAL into the main file.
        closeQuietly(writer, failures);
        if (!failures.isEmpty()) {
            throw failure("closing the state database " + file, failures.getFirst());
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
