package dev.arrow.platform.invocations;

/** Where an invocation is in its life. Only async invocations are ever seen QUEUED or RUNNING in the store. */
public enum InvocationStatus {
    QUEUED,
    RUNNING,
    /** The program exited with 0 and its output was delivered. */
    SUCCEEDED,
    /** Anything else: a non-zero exit, a signal, a limit, a start failure, an oversized output. */
    FAILED;

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED;
    }
}
