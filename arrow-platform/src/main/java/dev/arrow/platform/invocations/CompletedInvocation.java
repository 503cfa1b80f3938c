package dev.arrow.platform.invocations;

/**
 * A finished sync invocation as its caller needs it.
 *
 * @param record     the stored record (status SUCCEEDED or FAILED, with its execution)
 * @param output     stdout (empty when it was too large)
 * @param stderrTail the end of stderr, for error responses
 * @param headers    an http-mode instance's response headers, names in lower case (none for exec)
 */
public record CompletedInvocation(InvocationRecord record, byte[] output, String stderrTail, java.util.Map<String, String> headers) {

    public CompletedInvocation {
        headers = headers == null ? java.util.Map.of() : java.util.Map.copyOf(headers);
    }

    public CompletedInvocation(InvocationRecord record, byte[] output, String stderrTail) {
        this(record, output, stderrTail, java.util.Map.of());
    }

    public Execution execution() {
        return record.execution().orElseThrow();
    }
}
