package dev.arrow.sandbox.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
    void stopSpawner() {
        spawner.close();
    }
}
