package dev.arrow.cli.client;

import java.net.http.HttpHeaders;
import java.util.Map;

/**
 * A successful answer to an invocation: {@code 200} with the program's stdout, or {@code 202}
 * with {@code {"id","status":"queued"}} for an async one.
 */
public record InvokeResult(int status, HttpHeaders headers, byte[] body) {

    /** The {@code X-Arrow-*} headers, in the order docs/api.md lists them. */
    public Map<String, String> arrowHeaders() {
        return ArrowHeaders.of(headers);
    }
}
