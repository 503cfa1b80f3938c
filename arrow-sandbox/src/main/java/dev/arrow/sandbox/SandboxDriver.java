package dev.arrow.sandbox;

/** Turns a spec into a running sandbox. One driver per isolation tier. */
public interface SandboxDriver {

    /**
     * Starts a sandbox. Problems the program meets inside it (not found, killed, out of memory)
     * are reported by {@link Sandbox#waitFor()}, not thrown here.
     *
     * @throws SandboxException when no sandbox could be started at all, e.g. the helper is missing
     */
    Sandbox start(SandboxSpec spec, Stdio stdio) throws SandboxException;

    /**
     * Keeps {@code sandboxes} sandboxes prepared ahead of any request (namespaces, cgroup, most of
     * the root), so that a start only applies its spec and execs; 0 stops prewarming. Sandboxes
     * whose spec cannot use a prewarmed one start cold as before. Drivers without a pool ignore it.
     *
     * @throws IllegalArgumentException when {@code sandboxes} is out of the driver's range
     *                                  (the process driver: 0 to 64)
     */
    default void prewarm(int sandboxes) {
    }

    /** The prewarm pool now; {@link PrewarmStats#NONE} when there is none. */
    default PrewarmStats prewarmStats() {
        return PrewarmStats.NONE;
    }
}
