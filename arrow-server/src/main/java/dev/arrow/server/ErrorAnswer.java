package dev.arrow.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.InstanceUnavailableException;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.PlatformException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A failure as the node answers it: a status, a JSON error naming the field at fault, and the
 * headers that go with it. The same for Jetty's routes and the gateway's lean path.
 */
record ErrorAnswer(int status, String code, String message, Optional<String> field, Map<String, String> headers) {

    private static final Logger LOG = Logger.getLogger(ErrorAnswer.class.getName());

    ErrorAnswer {
        headers = Map.copyOf(headers);
    }

    ErrorAnswer(int status, String code, String message) {
        this(status, code, message, Optional.empty(), Map.of());
    }

    /** Any failure of a request; {@code what} names the request in the log of an unexpected one. */
    static ErrorAnswer of(Exception failure, String what) {
        try {
            throw failure;
        } catch (ApiError e) {
            return new ErrorAnswer(e.status(), e.code(), e.getMessage(), e.field(), Map.of());
        } catch (PlatformException e) {
            return switch (e) {
                case InvalidInputException invalid ->
                        new ErrorAnswer(400, "invalid_input", invalid.getMessage(), Optional.ofNullable(invalid.field()), Map.of());
                case NotFoundException notFound -> new ErrorAnswer(404, "not_found", notFound.getMessage());
                case InstanceUnavailableException unavailable -> new ErrorAnswer(503, "instance_unavailable",
                        unavailable.getMessage(), Optional.empty(), Map.of("X-Arrow-Invocation-Id", unavailable.invocationId()));
                case OverloadedException overloaded -> new ErrorAnswer(429, "overloaded", overloaded.getMessage(),
                        Optional.empty(), Map.of("Retry-After", Long.toString(Math.max(1, overloaded.retryAfter().toSeconds()))));
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ErrorAnswer(503, "unavailable", "the node is shutting down");
        } catch (Exception e) {
            LOG.log(Level.SEVERE, "unexpected failure of " + what, e);
            return new ErrorAnswer(500, "internal", "the node failed unexpectedly; the node's log has the details");
        }
    }

    ErrorAnswer withHeader(String name, String value) {
        var more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ErrorAnswer(status, code, message, field, more);
    }

    /** {"error": {"code", "message", "field"?, ...extra}}. */
    static ObjectNode body(String code, String message, Optional<String> field, ObjectNode extra) {
        ObjectNode error = Exchange.JSON.createObjectNode();
        error.put("code", code);
        error.put("message", message);
        field.ifPresent(name -> error.put("field", name));
        if (extra != null) {
            error.setAll(extra);
        }
        ObjectNode body = Exchange.JSON.createObjectNode();
        body.set("error", error);
        return body;
    }

    byte[] bodyBytes() {
        try {
            return Exchange.JSON.writeValueAsBytes(body(code, message, field, null));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: serializing a tree", e);
        }
    }
}
