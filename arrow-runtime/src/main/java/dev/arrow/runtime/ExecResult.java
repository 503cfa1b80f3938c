package dev.arrow.runtime;

import dev.arrow.sandbox.SandboxResult;
import java.util.Objects;

/**
 * What an exec-mode invocation produced.
 *
 * @param sandbox        how the sandbox ended and what it used
 * @param output         stdout, whole unless {@link #outputTooLarge()}
 * @param outputBytes    how many bytes the program wrote to stdout in all
 * @param outputTooLarge stdout passed the policy's cap: the sandbox was stopped there
 * @param log            stderr as kept: whole, or head and tail around a truncation marker
 * @param logBytes       how many bytes the program wrote to stderr in all
 * @param logTruncated   whether {@link #log()} is cut
 * @param stderrTail     the last bytes of stderr, for error responses
 */
public record ExecResult(
        SandboxResult sandbox,
        byte[] output,
        long outputBytes,
        boolean outputTooLarge,
        String log,
        long logBytes,
        boolean logTruncated,
        String stderrTail) {

    public ExecResult {
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(stderrTail, "stderrTail");
    }
}
