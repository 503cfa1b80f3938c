package dev.arrow.platform.invocations;

/**
 * A finished sync invocation as its caller needs it.
 *
 * @param record     the stored record (status SUCCEEDED or FAILED, with its execution)
 * @param output     stdout (empty when it was too large)
 * @param stderrTail the end of stderr, for error responses
 * @param headers    an http-mode instance's response headers, names in lower case (none for exec)
 * @param status     an http-mode instance's response status; 0 for exec, and when no answer came
 */
public record CompletedInvocation(InvocationRecord record, byte[] output, String stderrTail, java.util.Map<String, String> headers,
        int status) {

    public CompletedInvocation {
        headers = headers == null ? java.util.Map.of() : java.util.Map.copyOf(headers);
    }

    public CompletedInvocation(InvocationRecord record, byte[] output, String stderrTail) {
        this(record, output, stderrTail, java.util.Map.of(), 0);
    }

    public Execution execution() {
        return record.execution().orElseThrow();
    }
}
