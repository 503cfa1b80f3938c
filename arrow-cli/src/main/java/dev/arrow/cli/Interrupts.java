package dev.arrow.cli;

/**
 * Lets the JVM ignore Ctrl-C while a sandbox runs in the foreground: the terminal sends SIGINT to
 * the helper too, which passes it to the program, and the program decides whether to end.
 */
final class Interrupts {

    // sun.misc.Signal is the only way to handle a signal in plain Java. javac warns about each use
    // ("internal proprietary API") and offers no way to silence it, so the uses are kept here.

    private static final sun.misc.Signal SIGINT = new sun.misc.Signal("INT");

    private Interrupts() {
    }

    /** Ignores SIGINT until the returned handle is closed. */
    static Ignored ignore() {
        sun.misc.SignalHandler previous = sun.misc.Signal.handle(SIGINT, signal -> { });
        return () -> sun.misc.Signal.handle(SIGINT, previous);
    }

    /** Closing it restores the previous handling of SIGINT. */
    @FunctionalInterface
    interface Ignored extends AutoCloseable {
        @Override
        void close();
    }
}
