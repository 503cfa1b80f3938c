package dev.arrow.state;

import dev.arrow.events.broker.EventLog;
import dev.arrow.flows.runs.FlowStore;
import dev.arrow.platform.arrows.ArrowStore;
import dev.arrow.platform.invocations.InvocationStore;
import dev.arrow.services.kv.KvStore;
import dev.arrow.services.objects.AccessKeyStore;
import dev.arrow.services.objects.ObjectStore;
import dev.arrow.services.queues.QueueStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The node's state in one SQLite file: arrows, revisions, invocation records with their inputs,
 * outputs and logs, key-value stores, queues, the S3 listener's access keys and the objects' metadata
 * (their bodies in {@code objects/} beside it), flows with their runs and steps. Every write is durable when its method returns (WAL,
 * synchronous=FULL). Safe to use from any number of threads; open one per file per process.
 */
public final class SqliteState implements AutoCloseable {

    // Invocation inputs and outputs may carry secrets. SQLite gives the -wal and -shm files the
    // database file's mode, so making the file private covers them too.
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Database database;
    private final SqliteArrowStore arrows;
    private final SqliteInvocationStore invocations;
    private final SqliteKvStore kv;
    private final SqliteQueueStore queues;
    private final SqliteAccessKeyStore accessKeys;
    private final SqliteEventLog events;
    private final SqliteObjectStore objects;
    private final SqliteFlowStore flows;

    private SqliteState(Database database, Path objectDirectory) {
        this.database = database;
        this.arrows = new SqliteArrowStore(database);
        this.invocations = new SqliteInvocationStore(database);
        this.kv = new SqliteKvStore(database);
        this.queues = new SqliteQueueStore(database);
        this.accessKeys = new SqliteAccessKeyStore(database);
        this.events = new SqliteEventLog(database);
        this.objects = new SqliteObjectStore(database, objectDirectory);
        this.flows = new SqliteFlowStore(database);
        objects.sweep();
    }

    /**
     * Opens the state in {@code databaseFile}, creating it (mode 0600) and its directories when
     * absent, and brings its schema up to date. The driver's native library is kept in {@code lib/}
     * next to it.
     */
    public static SqliteState open(Path databaseFile) {
        return open(databaseFile, Database.Synchronous.FULL);
    }

    static SqliteState open(Path databaseFile, Database.Synchronous synchronous) {
        createPrivately(databaseFile);
        SqliteLibrary.useCopyIn(databaseFile.toAbsolutePath().getParent().resolve("lib"));
        Database database = Database.open(databaseFile, synchronous);
        try {
            return new SqliteState(database, databaseFile.toAbsolutePath().getParent().resolve("objects"));
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    private static void createPrivately(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            // Again without the umask, which createFile's mode goes through.
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        } catch (FileAlreadyExistsException e) {
            // An existing state file keeps the mode its owner gave it.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state database " + file, e);
        }
    }

    public ArrowStore arrows() {
        return arrows;
    }

    public InvocationStore invocations() {
        return invocations;
    }

    /** The key-value stores, on the same file; every write synced before it returns. */
    public KvStore kv() {
        return kv;
    }

    /** The queues, on the same file; every send, receive and delete synced before it returns. */
    public QueueStore queues() {
        return queues;
    }

    /** The S3 listener's access keys, secrets included (the file is mode 0600); every write synced. */
    public EventLog events() {
        return events;
    }

    public AccessKeyStore accessKeys() {
        return accessKeys;
    }

    /**
     * Buckets and objects: their rows in the same file, their bodies under {@code objects/} next
     * to it; every write synced, body and row, before it returns.
     */
    public ObjectStore objects() {
        return objects;
    }

    /**
     * Flows, their runs and each run's steps, on the same file; every write synced but a step
     * record written unsynced on purpose.
     */
    public FlowStore flows() {
        return flows;
    }

    /** Waits for the writes under way, then closes the file; the stores fail afterwards. */
    @Override
    public void close() {
        database.close();
    }
}
