package dev.arrow.sandbox.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A spawner of the real helper per test, in a private directory, keeping {@code prewarm} sandboxes ready. */
abstract class SpawnerFixture {

    private final int prewarm;

    @TempDir
    Path dir;

    Path helper;
    Spawner spawner;

    SpawnerFixture(int prewarm) {
        this.prewarm = prewarm;
    }

    @BeforeEach
    void startSpawner() throws Exception {
        helper = HelperLocator.locate();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        spawner = Spawner.start(helper, dir, prewarm);
    }

    @AfterEach
    void stopSpawner() throws Exception {
        // Supervisors forked ahead for the next spawn may still be making or removing their FIFOs
        // in the directory as the spawner stops: wait for them, or the temporary directory's
        // removal races them.
        List<ProcessHandle> forked = spawner.processes();
        spawner.close();
        for (ProcessHandle process : forked) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                process.destroyForcibly();
                process.onExit().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
