package dev.arrow.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.Serial;
import java.net.http.HttpHeaders;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The node answered with an error: {@code {"error":{"code","message","field"?...}}} and an HTTP
 * status. {@link #body()} keeps the whole answer, e.g. {@code stderrTail} and {@code invocation}
 * of a failed invocation.
 */
public final class ApiException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String field;
    private final transient JsonNode body;
    private final transient HttpHeaders headers;

    public ApiException(int status, String code, String message, String field, JsonNode body, HttpHeaders headers) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
        this.body = body == null ? MissingNode.getInstance() : body;
        this.headers = headers == null ? HttpHeaders.of(Map.of(), (name, value) -> true) : headers;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The error's code, e.g. {@code not_found}; {@code http_<status>} when the answer had none. */
    public String code() {
        return code;
    }

    public String message() {
        return getMessage();
    }

    /** The part of the request at fault, e.g. {@code limits.memory}, if the node named one. */
    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    /** The {@code error} object of the answer; a missing node when the answer was not JSON. */
    public JsonNode error() {
        return body.path("error");
    }

    /** The whole answer as JSON; a missing node when it was not JSON. */
    public JsonNode body() {
        return body;
    }

    public HttpHeaders headers() {
        return headers;
    }

    /** {@code Retry-After} in seconds, as sent with 429. */
    public OptionalLong retryAfterSeconds() {
        Optional<String> value = headers.firstValue("Retry-After");
        try {
            return value.isPresent() ? OptionalLong.of(Long.parseLong(value.get().strip())) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
