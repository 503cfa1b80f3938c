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
}
