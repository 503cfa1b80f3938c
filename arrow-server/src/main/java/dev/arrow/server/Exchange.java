package dev.arrow.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.Scheduler;

/** One request and its response, with the few things every route needs. Used by one thread at a time. */
final class Exchange {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_JSON_BYTES = 1 << 20;

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final Duration bodyDeadline;
    private Map<String, String> pathParams = Map.of();
    private Fields query;
    private boolean responded;

    Exchange(Request request, Response response, Callback callback, Duration bodyDeadline) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.bodyDeadline = bodyDeadline;
    }

    Request request() {
        return request;
    }

    Response response() {
        return response;
    }

    /** The route wrote the response itself (streaming). */
    void markResponded() {
        responded = true;
    }

    void succeed() {
        callback.succeeded();
    }

    void fail(Throwable failure) {
        callback.failed(failure);
    }

    String method() {
        return request.getMethod();
    }

    String path() {
        return request.getHttpURI().getDecodedPath();
    }

    /** The path as the request line sent it: percent-encoded, not normalized. */
    String rawPath() {
        return request.getHttpURI().getPath();
    }

    void pathParams(Map<String, String> params) {
        this.pathParams = params;
    }

    String param(String name) {
        return pathParams.get(name);
    }

    Optional<String> query(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        }
        return Optional.ofNullable(query.getValue(name));
    }

    Optional<String> header(String name) {
        return Optional.ofNullable(request.getHeaders().get(name));
    }

    /** Every value of a header, one per field line, in order. */
    List<String> headers(String name) {
        return request.getHeaders().getValuesList(name);
    }

    long contentLength() {
        return request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
    }

    /**
     * The body as it arrives, for at most the node's body deadline from now: then the request
     * fails with a {@link BodyTimeoutException} (a 408), so that a client trickling its body in,
     * byte by byte inside the idle timeout, cannot hold a handler for ever.
     */
    InputStream bodyStream() {
        Scheduler.Task deadline = request.getComponents().getScheduler().schedule(
                () -> request.fail(new BodyTimeoutException(bodyDeadline)), bodyDeadline.toMillis(), TimeUnit.MILLISECONDS);
        return new FilterInputStream(Request.asInputStream(request)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b < 0) {
                    deadline.cancel();
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n < 0) {
                    deadline.cancel();
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                deadline.cancel();
                super.close();
            }
        };
    }

    /** A request body that did not arrive whole within the node's deadline. */
    static final class BodyTimeoutException extends java.util.concurrent.TimeoutException {
        private static final long serialVersionUID = 1L;

        BodyTimeoutException(Duration deadline) {
            super("the request body did not arrive whole within " + deadline.toSeconds() + " s");
        }
    }

    /**
     * How much of a refused body is read and dropped before the 413 goes out: a client still
     * sending when the connection closes gets a reset instead of the answer. Beyond this, the
     * connection is closed on it.
     */
    private static final long DRAIN_LIMIT = 16L << 20;

    /** The whole body, refused with 413 once it passes {@code max} bytes. */
    byte[] body(int max) throws IOException {
        long declared = contentLength();
        try (InputStream in = bodyStream()) {
            if (declared > max) {
                throw drainedTooLarge(in, max);
            }
            if (declared >= 0) {
                // One array of the declared size: no growing copies of a body of several MiB.
                byte[] body = new byte[(int) declared];
                int read = in.readNBytes(body, 0, body.length);
                if (read < body.length) {
                    throw new EOFException("the body ended before its Content-Length");
                }
                return body;
            }
            byte[] body = in.readNBytes(max + 1);
            if (body.length > max) {
                throw drainedTooLarge(in, max);
            }
            return body;
        }
    }

    /** Whether the request has a body to read. */
    boolean hasBody() {
        return contentLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /**
     * Reads and drops the body (up to the drain limit, within the body deadline) before a refusal
     * goes out: a client still sending would otherwise get a reset instead of the answer.
     * Blocks: only on a virtual thread.
     */
    void drain() {
        try (InputStream in = bodyStream()) {
            byte[] sink = new byte[64 * 1024];
            long dropped = 0;
            int n;
            while (dropped < DRAIN_LIMIT && (n = in.read(sink)) > 0) {
                dropped += n;
            }
        } catch (IOException e) {
            // the refusal goes out anyway; the connection may end with it
        }
    }

    private static ApiError drainedTooLarge(InputStream in, int max) throws IOException {
        long dropped = 0;
        byte[] sink = new byte[64 * 1024];
        int n;
        while (dropped < DRAIN_LIMIT && (n = in.read(sink)) > 0) {
            dropped += n;
        }
        return tooLarge(max);
    }

    /** A JSON object body; an empty body is {@code {}} when {@code emptyAllowed}. */
    JsonNode json(boolean emptyAllowed) throws IOException {
        return json(body(MAX_JSON_BYTES), emptyAllowed);
    }

    /** {@code body}, read already (at most {@link #MAX_JSON_BYTES}), as {@link #json(boolean)} takes it. */
    JsonNode json(byte[] body, boolean emptyAllowed) throws IOException {
        if (body.length == 0 && emptyAllowed) {
            return JSON.createObjectNode();
        }
        header("Content-Type").filter(type -> !type.toLowerCase().startsWith("application/json"))
                .ifPresent(type -> {
                    throw new ApiError(415, "unsupported_media_type", "send JSON with Content-Type: application/json, not " + type);
                });
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiError.invalid("body", "the body must be a JSON object");
            }
            return node;
        } catch (StreamConstraintsException e) {
            // Jackson's own message names its configuration class and method: say what was too much.
            throw ApiError.invalid("body", "the body is not valid JSON: it is nested deeper (at most "
                    + JSON.getFactory().streamReadConstraints().getMaxNestingDepth() + " levels) or holds a longer"
                    + " number or name than the node reads");
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            String message = e.getOriginalMessage();
            throw ApiError.invalid("body", "the body is not valid JSON" + where + ": "
                    + (message == null || message.contains("com.fasterxml") ? "it cannot be read" : firstLine(message)));
        }
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }

    void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    void json(int status, JsonNode body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: serializing a tree", e);
        }
        bytes(status, "application/json", bytes);
    }

    void bytes(int status, String contentType, byte[] body) {
        responded = true;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    void empty(int status) {
        responded = true;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        response.write(true, null, callback);
    }

    void error(int status, String code, String message, Optional<String> field, ObjectNode extra) {
        json(status, ErrorAnswer.body(code, message, field, extra));
    }

    boolean responded() {
        return responded;
    }

    private static ApiError tooLarge(int max) {
        return new ApiError(413, "payload_too_large", "the body is larger than " + max + " bytes");
    }
}
