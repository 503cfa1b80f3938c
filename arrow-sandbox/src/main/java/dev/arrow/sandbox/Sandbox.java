package dev.arrow.sandbox;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.OptionalLong;

/** One running sandbox. Closing it kills it if it still runs and releases its resources. */
public interface Sandbox extends AutoCloseable {

    /**
     * The host pid of the process that supervises the sandbox. The program itself runs in its own
     * pid namespace, so its host pid is of little use to a caller; signals go through {@link #kill()}.
     */
    long pid();

    /**
     * The host pid of the sandbox's pid 1, whose namespaces (its network namespace among them) are
     * the sandbox's. Blocks until the sandbox has been cloned; empty when it never was, or when the
     * driver does not tell. A caller that joins these namespaces must check afterwards that the
     * process still lives (e.g. with a pidfd), since pids and pooled namespaces are reused.
     */
    default OptionalLong namespacePid() throws InterruptedException {
        return OptionalLong.empty();
    }

    /** What {@link #awaitPort()} found. */
    enum PortState {
        /** The spec's ready port accepted a connection on the sandbox's 127.0.0.1. */
        LISTENING,
        /** The sandbox ended (or was killed) before that. */
        ENDED,
        /** Nobody watched it: the spec has no ready port, or the driver does not watch ports. */
        UNWATCHED
    }

    /**
     * Blocks until the spec's {@link SandboxSpec#readyPort()} accepts connections, or the sandbox
     * has ended first. The driver tries the port from outside at growing intervals (1% of the time
     * since the start, between 50 µs and 20 ms), much cheaper than the caller could. Never times
     * out by itself: a caller with a deadline kills the sandbox at it, which ends the wait with
     * {@link PortState#ENDED}.
     */
    default PortState awaitPort() throws InterruptedException {
        return PortState.UNWATCHED;
    }

    /** The program's stdin; a stream that discards everything unless started with {@link Stdio#PIPE}. */
    OutputStream stdin();

    /** The program's stdout; an empty stream unless started with {@link Stdio#PIPE}. */
    InputStream stdout();

    /** The program's stderr; an empty stream unless started with {@link Stdio#PIPE}. */
    InputStream stderr();

    /** Waits until the whole sandbox has ended. Calling it again returns the same result. */
    SandboxResult waitFor() throws InterruptedException;

    /** Kills the whole sandbox (every process in it), not just the program. Returns at once. */
    void kill();

    /**
     * Passes an interrupt (Ctrl-C on the caller's terminal) to the program, which decides what to do
     * with it, as a program in a terminal would. Drivers that cannot reach the program kill the sandbox.
     */
    default void interrupt() {
        kill();
    }

    @Override
    void close();
}
