package dev.arrow.sandbox;

/** Where a sandbox's standard input, output and error go. */
public enum Stdio {
    /** The caller's own stdin, stdout and stderr: for a CLI running one program in the foreground. */
    INHERIT,
    /** Pipes, through {@link Sandbox#stdin()}, {@link Sandbox#stdout()} and {@link Sandbox#stderr()}. */
    PIPE,
    /** Stdin from /dev/null, output thrown away: for benchmarks and fire-and-forget runs. */
    DISCARD
}
