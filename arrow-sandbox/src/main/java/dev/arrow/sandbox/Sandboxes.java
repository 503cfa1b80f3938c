package dev.arrow.sandbox;

import dev.arrow.sandbox.internal.ProcessDriver;

/** Entry point: the sandbox drivers Arrow has. */
public final class Sandboxes {

    private Sandboxes() {
    }

    /**
     * The process tier: namespaces, cgroups and seccomp set up by the native helper
     * {@code arrow-sandbox-helper}, found as {@link dev.arrow.sandbox.internal.HelperLocator} describes.
     */
    public static SandboxDriver processDriver() {
        return ProcessDriver.INSTANCE;
    }

    /**
     * A process-tier driver with a spawner and prewarm pool of its own, beside {@link #processDriver()}'s:
     * for a caller whose pool must not be shared, as a benchmark that times its own pool.
     */
    public static SandboxDriver newProcessDriver() {
        return ProcessDriver.newDriver();
    }
}
