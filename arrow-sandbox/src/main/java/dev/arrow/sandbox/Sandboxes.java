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
}
