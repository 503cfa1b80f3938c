package dev.arrow.runtime.instances;

/**
 * An instance's whole answer to one invocation.
 *
 * @param status      HTTP status
 * @param contentType its Content-Type, or null
 * @param error       the {@code Arrow-Error} header of a language runtime whose handler failed, or null
 * @param body        the body
 */
public record InstanceResponse(int status, String contentType, String error, byte[] body) {
}
