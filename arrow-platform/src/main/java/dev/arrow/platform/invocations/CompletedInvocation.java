package dev.arrow.platform.invocations;

/**
 * A finished sync invocation as its caller needs it.
 *
 * @param record     the stored record (status SUCCEEDED or FAILED, with its execution)
 * @param output     stdout (empty when it was too large)
 * @param stderrTail the end of stderr, for error responses
 */
public record CompletedInvocation(InvocationRecord record, byte[] output, String stderrTail) {

    public Execution execution() {
        return record.execution().orElseThrow();
    }
}
