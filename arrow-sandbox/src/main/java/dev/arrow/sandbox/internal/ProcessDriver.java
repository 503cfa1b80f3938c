package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The process tier: each sandbox is one supervisor of the native helper. Sandboxes with piped or
 * discarded stdio come from the long-lived {@link Spawner} (a fork, no exec); those that inherit
 * the JVM's own stdio (a CLI's terminal), or all of them when the spawner cannot run or
 * {@code -Darrow.spawner=false}, from a run of the helper started with ProcessBuilder.
 *
 * <p>The spawner keeps a pool of prewarmed sandboxes: {@link #prewarm(int)} sizes it (the
 * spawner is told on its stdin; one is started if none runs), {@code -Darrow.prewarm=N} gives the
 * size the driver starts with (default 0).
 */
public final class ProcessDriver implements SandboxDriver {

    private static final System.Logger LOG = System.getLogger(ProcessDriver.class.getName());
    private static final boolean SPAWNER_ENABLED = !"false".equals(System.getProperty("arrow.spawner"));
    private static final int MAX_PREWARM = 64;

    /** Finds the helper at its first sandbox and keeps it; while it is missing, each start looks again. */
    public static final ProcessDriver INSTANCE = newDriver();

    /** A tmpfs on every Linux that has POSIX shared memory. */
    private static final Path SHARED_MEMORY = Path.of("/dev/shm");
    private static Path resultDirectory; // guarded by ProcessDriver.class

    private final HelperSource helperSource;
    private final boolean spawn;
    private Spawner spawner; // guarded by this
    private boolean spawnerFailed; // guarded by this
    private int prewarm; // guarded by this

    /** A driver that always uses {@code helper}, through a spawner when {@code spawn} says so. */
    ProcessDriver(Path helper, boolean spawn) {
        this(() -> helper, spawn);
    }

    private ProcessDriver(HelperSource helperSource, boolean spawn) {
        this.helperSource = helperSource;
        this.spawn = spawn;
        this.prewarm = Math.clamp(Integer.getInteger("arrow.prewarm", 0), 0, MAX_PREWARM);
    }

    /**
     * A driver with a spawner (and prewarm pool) of its own, next to {@link #INSTANCE}'s: e.g. to
     * time cold and prewarmed starts side by side.
     */
    public static ProcessDriver newDriver() {
        return new ProcessDriver(foundOnce(HelperLocator::locate), SPAWNER_ENABLED);
    }

    @Override
    public void prewarm(int sandboxes) {
        if (sandboxes < 0 || sandboxes > MAX_PREWARM) {
            throw new IllegalArgumentException("prewarm: 0 to " + MAX_PREWARM + " sandboxes, not " + sandboxes);
        }
        Spawner running;
        synchronized (this) {
            prewarm = sandboxes;
            running = spawner != null && spawner.isAlive() ? spawner : null;
        }
        try {
            if (running != null) {
                running.prewarm(sandboxes);
            } else if (sandboxes > 0) {
                spawner(helperSource.helper()); // starts with the new size
            }
        } catch (IOException | SandboxException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot prewarm sandboxes: " + e.getMessage());
        }
    }

    @Override
    public PrewarmStats prewarmStats() {
        Spawner running;
        int target;
        synchronized (this) {
            running = spawner != null && spawner.isAlive() ? spawner : null;
            target = prewarm;
        }
        if (running != null) {
            try {
                return running.stats();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "no stats from the sandbox spawner: " + e.getMessage());
            }
        }
        return new PrewarmStats(target, 0, 0, 0);
    }

    @Override
    public Sandbox start(SandboxSpec spec, Stdio stdio) throws SandboxException {
        Path helper = helperSource.helper();
        if (stdio != Stdio.INHERIT) {
            Optional<Spawner> spawner = spawner(helper);
            if (spawner.isPresent()) {
                try {
                    return spawner.get().spawn(spec, stdio);
                } catch (IOException e) {
                    // Gone (killed from outside?): the next sandbox starts a new one.
                    LOG.log(System.Logger.Level.WARNING, "the sandbox spawner failed; restarting it: " + e.getMessage());
                    retire(spawner.get());
                }
            }
        }
        String id = HelperCommand.newSandboxId();
        Path resultFile = resultDirectory().resolve(id + ".json");
        var builder = new ProcessBuilder(HelperCommand.argv(helper, id, spec, Optional.of(resultFile)));
        switch (stdio) {
            case INHERIT -> builder.inheritIO();
            case PIPE -> { } // ProcessBuilder's default
            case DISCARD -> builder.redirectInput(new File("/dev/null"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        long startNanos = System.nanoTime();
        try {
            return new ProcessSandbox(builder.start(), stdio, helper, id, resultFile, startNanos);
        } catch (IOException e) {
            throw new SandboxException("cannot run " + helper + ": " + e.getMessage(), e);
        }
    }

    private synchronized Optional<Spawner> spawner(Path helper) throws SandboxException {
        if (!spawn || spawnerFailed) {
            return Optional.empty();
        }
        if (spawner != null && (!spawner.isAlive() || !spawner.helper().equals(helper))) {
            spawner.close(); // a rebuilt helper gets a spawner of its own
            spawner = null;
        }
        if (spawner == null) {
            try {
                spawner = Spawner.start(helper, resultDirectory(), prewarm);
            } catch (IOException e) {
                spawnerFailed = true;
                LOG.log(System.Logger.Level.WARNING,
                        "cannot start the sandbox spawner, starting one helper per sandbox instead: " + e.getMessage());
                return Optional.empty();
            }
        }
        return Optional.of(spawner);
    }

    private synchronized void retire(Spawner failed) {
        if (spawner == failed) {
            spawner.close();
            spawner = null;
        }
    }

    /**
     * Where helpers write their result files: one directory per JVM, readable by its owner only,
     * so no other user can plant or read a result.
     */
    private static final String RESULTS_PREFIX = "arrow-results-";

    private static synchronized Path resultDirectory() throws SandboxException {
        if (resultDirectory == null) {
            try {
                var privateToUser = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
                // Each sandbox makes three FIFOs here: on a disk file system (ext4) every mknod
                // allocates an inode, which showed as 3% of a loaded node's CPU; tmpfs does not.
                Path parent = Files.isDirectory(SHARED_MEMORY) && Files.isWritable(SHARED_MEMORY)
                        ? SHARED_MEMORY : Path.of(System.getProperty("java.io.tmpdir"));
                // Named by this JVM's pid: a JVM killed before its exit hooks leaves its directory,
                // which the next JVM to start here removes.
                StaleDirectories.removeOfEndedProcesses(parent, RESULTS_PREFIX);
                resultDirectory = Files.createTempDirectory(parent, RESULTS_PREFIX + ProcessHandle.current().pid() + "-",
                        privateToUser);
                // Works because every result file is deleted once read, and spawners' sockets,
                // registered later, are deleted first.
                resultDirectory.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new SandboxException("cannot create a private temporary directory: " + e.getMessage(), e);
            }
        }
        return resultDirectory;
    }

    @FunctionalInterface
    private interface HelperSource {
        Path helper() throws SandboxException;
    }

    /**
     * Looked for until found, then kept: locating took two file checks and some path work on every
     * sandbox (about 2.5% of the node's request threads under exec load). A rebuilt helper lands
     * at the same path; a missing one is still reported by each start until it is there.
     */
    private static HelperSource foundOnce(HelperSource source) {
        var found = new java.util.concurrent.atomic.AtomicReference<Path>();
        return () -> {
            Path helper = found.get();
            if (helper == null) {
                helper = source.helper();
                found.set(helper);
            }
            return helper;
        };
    }
}
