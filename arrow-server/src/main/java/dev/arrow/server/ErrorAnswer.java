package dev.arrow.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.IdempotencyConflictException;
import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.InstanceUnavailableException;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.PlatformException;
import dev.arrow.services.ObjectException;
import dev.arrow.services.PreconditionFailedException;
import dev.arrow.services.QueueFullException;
import dev.arrow.services.ReceiptHandleInvalidException;
import dev.arrow.services.ServiceException;
import dev.arrow.services.StoreExistsException;
import dev.arrow.services.StoreFullException;
import dev.arrow.services.TooManyKeysException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.EofException;

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
                case IdempotencyConflictException conflict -> switch (conflict.conflict()) {
                    // The draft's answers: 409 while the first request is in flight, 422 for another request.
                    case IN_FLIGHT -> new ErrorAnswer(409, "idempotency_key_in_flight", conflict.getMessage(),
                            Optional.of(IdempotencyKey.FIELD), Map.of("Retry-After", "1"));
                    case REUSED -> new ErrorAnswer(422, "idempotency_key_reused", conflict.getMessage(),
                            Optional.of(IdempotencyKey.FIELD), Map.of());
                };
                case OverloadedException overloaded -> new ErrorAnswer(429, "overloaded", overloaded.getMessage(),
                        Optional.empty(), Map.of("Retry-After", Long.toString(Math.max(1, overloaded.retryAfter().toSeconds()))));
            };
        } catch (ServiceException e) {
            return switch (e) {
                case PreconditionFailedException failed -> new ErrorAnswer(412, "precondition_failed", failed.getMessage());
                case StoreFullException full -> new ErrorAnswer(413, "store_full", full.getMessage());
                // 429 as the caps ask; no Retry-After: only deleting keys makes room.
                case TooManyKeysException many -> new ErrorAnswer(429, "too_many_keys", many.getMessage());
                case StoreExistsException exists -> new ErrorAnswer(409, "store_exists", exists.getMessage(),
                        Optional.of("store"), Map.of());
                case QueueFullException full -> new ErrorAnswer(429, "queue_full", full.getMessage());
                case ReceiptHandleInvalidException invalid -> new ErrorAnswer(400, "receipt_handle_invalid",
                        invalid.getMessage(), Optional.of("receiptHandle"), Map.of());
                case ObjectException object -> new ErrorAnswer(object.kind().status(), object.kind().apiCode(),
                        object.getMessage());
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ErrorAnswer(503, "unavailable", "the node is shutting down");
        } catch (Exception e) {
            Optional<ErrorAnswer> clients = clientsFault(e, what);
            if (clients.isPresent()) {
                return clients.get();
            }
            LOG.log(Level.SEVERE, "unexpected failure of " + what, e);
            return new ErrorAnswer(500, "internal", "the node failed unexpectedly; the node's log has the details");
        }
    }

    /**
     * A failure that is the request's, not the node's: HTTP that Jetty could not read (its
     * {@link HttpException}s carry the status, 400 to 431 and 505), or a body that ended before
     * it was whole because the client left. Logged as one line at most, never as an error.
     */
    private static Optional<ErrorAnswer> clientsFault(Exception failure, String what) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpException http && (http.getCode() / 100 == 4 || http.getCode() == 505)) {
                LOG.fine(() -> what + ": " + http.getCode() + " " + http.getReason());
                return Optional.of(forStatus(http.getCode()));
            }
            if (cause instanceof Exchange.BodyTimeoutException late) {
                LOG.fine(() -> what + ": " + late.getMessage());
                return Optional.of(new ErrorAnswer(408, "request_timeout", late.getMessage()));
            }
            if (cause instanceof EofException || cause instanceof java.io.EOFException) {
                LOG.fine(() -> what + ": the request ended early");
                return Optional.of(new ErrorAnswer(400, "bad_request",
                        "the request ended before its body was whole (the client closed the connection?)"));
            }
        }
        return Optional.empty();
    }

    /** A request whose head kept trickling in past the node's head deadline. */
    static ErrorAnswer headTooSlow(long deadlineNanos) {
        long millis = Duration.ofNanos(deadlineNanos).toMillis();
        return new ErrorAnswer(408, "request_timeout", "the request's head (its request line and headers) took longer than "
                + (millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms") + " to arrive");
    }

    /** The answer to a status Jetty decided on its own, for a request it could not read. */
    static ErrorAnswer forStatus(int status) {
        if (status == 505) {
            return new ErrorAnswer(505, "http_version_not_supported", "the node speaks HTTP/1.1 and HTTP/1.0");
        }
        if (status >= 400 && status < 500) {
            return new ErrorAnswer(status, codeOf(status), messageOf(status));
        }
        return new ErrorAnswer(status, "internal", "the node failed unexpectedly; the node's log has the details");
    }

    private static String codeOf(int status) {
        return switch (status) {
            case 408 -> "request_timeout";
            case 411 -> "length_required";
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 431 -> "headers_too_large";
            default -> "bad_request";
        };
    }

    private static String messageOf(int status) {
        return switch (status) {
            case 408 -> "the request took too long to arrive";
            case 411 -> "the request needs a Content-Length or chunked body";
            case 413 -> "the request body is larger than the node takes";
            case 414 -> "the request's URI is too long";
            case 431 -> "the request's headers are too large";
            default -> "the request is not valid HTTP/1.1: its framing, a header or its query cannot be read";
        };
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
