package dev.arrow.runtime.instances;

/**
 * An instance's whole answer to one invocation.
 *
 * @param status      HTTP status
 * @param contentType its Content-Type, or null
 * @param error       the {@code Arrow-Error} header of a language runtime whose handler failed, or null
 * @param body        the body
 * @param headers     its headers, names in lower case (a CloudEvents reply is read from its ce-* headers)
 */
public record InstanceResponse(int status, String contentType, String error, byte[] body,
        java.util.Map<String, String> headers) {

    public InstanceResponse {
        headers = headers == null ? java.util.Map.of() : java.util.Map.copyOf(headers);
    }

    public InstanceResponse(int status, String contentType, String error, byte[] body) {
        this(status, contentType, error, body, java.util.Map.of());
    }
}
