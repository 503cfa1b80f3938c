package dev.arrow.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * The node's REST API (docs/api.md) over {@link HttpClient}: one method per call. Errors of the
 * node become {@link ApiException}; a node that cannot be reached, {@link NodeUnreachableException}.
 */
public final class ArrowClient implements AutoCloseable {

    public static final String DEFAULT_NODE = "http://127.0.0.1:7070";
    public static final String GZIP = "application/gzip";
    public static final String ZIP = "application/zip";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** For calls that only read or write a record; invocations and uploads take as long as they take. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String token;
    private final HttpClient http;

    /**
     * @param base  the node, e.g. {@code http://127.0.0.1:7070} ({@link #nodeUri})
     * @param token the bearer token
     */
    public ArrowClient(URI base, String token) {
        this(base, token, HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .build());
    }

    ArrowClient(URI base, String token, HttpClient http) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = Objects.requireNonNull(token, "token");
        this.http = http;
    }

    /**
     * Checks a node address: http or https, a host, an optional port and path prefix.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static URI nodeUri(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a node URL: use http://HOST:PORT, e.g. " + DEFAULT_NODE);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("'" + text + "' is not a node URL: use http://HOST:PORT, e.g. " + DEFAULT_NODE);
        }
        return uri;
    }

    /** The node this client talks to, without a trailing slash. */
    public URI base() {
        return base;
    }

    // ---- bundles

    /**
     * {@code POST /v1/bundles}: streams a .tar.gz or .zip from disk.
     *
     * @param contentType {@link #GZIP} or {@link #ZIP}
     * @param sent        told how many bytes have been sent so far, or null
     */
    public Bundle uploadBundle(Path file, String contentType, LongConsumer sent)
            throws IOException, InterruptedException, ApiException {
        BodyPublisher body = BodyPublishers.ofFile(file);
        if (sent != null) {
            body = new CountingBodyPublisher(body, sent);
        }
        HttpRequest request = request("/v1/bundles").header("Content-Type", contentType).POST(body).build();
        JsonNode json = expectJson(send(request));
        if (!json.path("digest").isTextual()) {
            throw unexpected(201, "an upload answer without a digest");
        }
        return new Bundle(json.get("digest").asText(), json.path("files").asLong(), json.path("bytes").asLong(),
                json.path("created").asBoolean(true));
    }

    // ---- arrows

    /** {@code POST /v1/arrows}: the spec becomes the arrow's next revision; answers the arrow. */
    public JsonNode deploy(JsonNode spec) throws IOException, InterruptedException, ApiException {
        return expectJson(send(jsonRequest("/v1/arrows", spec).timeout(CALL_TIMEOUT).build()));
    }

    /** {@code GET /v1/arrows}: {@code {"arrows":[summary...]}}. */
    public JsonNode listArrows() throws IOException, InterruptedException, ApiException {
        return get("/v1/arrows");
    }

    /** {@code GET /v1/arrows/{name}}: a summary plus {@code spec}. */
    public JsonNode arrow(String name) throws IOException, InterruptedException, ApiException {
        return get("/v1/arrows/" + segment(name));
    }

    /** {@code DELETE /v1/arrows/{name}}. */
    public void deleteArrow(String name) throws IOException, InterruptedException, ApiException {
        expectJson(send(request("/v1/arrows/" + segment(name)).DELETE().timeout(CALL_TIMEOUT).build()));
    }

    /** {@code GET /v1/arrows/{name}/revisions}: {@code {"revisions":[...]}}, newest first. */
    public JsonNode revisions(String name) throws IOException, InterruptedException, ApiException {
        return get("/v1/arrows/" + segment(name) + "/revisions");
    }

    /** {@code GET /v1/arrows/{name}/revisions/{n}}. */
    public JsonNode revision(String name, int number) throws IOException, InterruptedException, ApiException {
        return get("/v1/arrows/" + segment(name) + "/revisions/" + number);
    }

    /**
     * {@code POST /v1/arrows/{name}/rollback}: traffic to {@code revision}, or to the one before
     * the current when null. Answers the arrow.
     */
    public JsonNode rollback(String name, Integer revision) throws IOException, InterruptedException, ApiException {
        String path = "/v1/arrows/" + segment(name) + "/rollback";
        HttpRequest.Builder request = revision == null
                ? request(path).POST(BodyPublishers.noBody())
                : jsonRequest(path, JSON.createObjectNode().put("revision", revision));
        return expectJson(send(request.timeout(CALL_TIMEOUT).build()));
    }

    // ---- invocations

    /**
     * {@code POST /v1/arrows/{name}/invoke}, the body as the program's stdin. A failed invocation
     * is an {@link ApiException} whose code is the outcome (exited, timed_out, ...).
     */
    public InvokeResult invoke(String name, BodyPublisher stdin, boolean async)
            throws IOException, InterruptedException, ApiException {
        HttpRequest request = request("/v1/arrows/" + segment(name) + "/invoke" + (async ? "?async=true" : ""))
                .header("Content-Type", "application/octet-stream")
                .POST(stdin)
                .build();
        HttpResponse<byte[]> response = send(request);
        if (!successful(response)) {
            throw error(response);
        }
        return new InvokeResult(response.statusCode(), response.headers(), response.body());
    }

    /** {@code GET /v1/invocations/{id}}: a record. */
    public JsonNode invocation(String id) throws IOException, InterruptedException, ApiException {
        return get("/v1/invocations/" + segment(id));
    }

    /** {@code GET /v1/invocations/{id}/output}: stdout of a finished invocation. */
    public byte[] invocationOutput(String id) throws IOException, InterruptedException, ApiException {
        return expectBytes(send(request("/v1/invocations/" + segment(id) + "/output").timeout(CALL_TIMEOUT).build()));
    }

    /** {@code GET /v1/invocations/{id}/logs}: its stderr as text. */
    public String invocationLogs(String id) throws IOException, InterruptedException, ApiException {
        byte[] log = expectBytes(send(request("/v1/invocations/" + segment(id) + "/logs").timeout(CALL_TIMEOUT).build()));
        return new String(log, StandardCharsets.UTF_8);
    }

    /**
     * {@code GET /v1/invocations}: records newest first, {@code {"invocations":[...],"next"}}.
     * Null arguments are left out.
     */
    public JsonNode invocations(String arrow, String status, Integer limit, String before)
            throws IOException, InterruptedException, ApiException {
        var query = new LinkedHashMap<String, Object>();
        query.put("arrow", arrow);
        query.put("status", status);
        query.put("limit", limit);
        query.put("before", before);
        return get("/v1/invocations" + query(query));
    }

    /** {@code GET /v1/arrows/{name}/logs}: {@code {"entries":[{"id","acceptedAt","status","log"}]}}, newest first. */
    public JsonNode arrowLogs(String name, Integer limit) throws IOException, InterruptedException, ApiException {
        var query = new LinkedHashMap<String, Object>();
        query.put("limit", limit);
        return get("/v1/arrows/" + segment(name) + "/logs" + query(query));
    }

    @Override
    public void close() {
        http.close();
    }

    // ---- plumbing

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).header("Authorization", "Bearer " + token);
    }

    private HttpRequest.Builder jsonRequest(String path, JsonNode body) throws IOException {
        return request(path)
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    }

    private JsonNode get(String pathAndQuery) throws IOException, InterruptedException, ApiException {
        return expectJson(send(request(pathAndQuery).GET().timeout(CALL_TIMEOUT).build()));
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        try {
            return http.send(request, BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw unreachable(e);
        } catch (HttpTimeoutException e) {
            throw new NodeUnreachableException("the node at " + base + " did not answer within "
                    + request.timeout().map(Duration::toSeconds).orElse(0L) + "s", e);
        } catch (IOException e) {
            if (causedByConnectFailure(e)) {
                throw unreachable(e);
            }
            throw new NodeUnreachableException("lost the connection to the node at " + base + ": "
                    + Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()), e);
        }
    }

    private NodeUnreachableException unreachable(IOException cause) {
        return new NodeUnreachableException("cannot reach the node at " + base + ": is `arrow serve` running?", cause);
    }

    private static boolean causedByConnectFailure(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof java.nio.channels.UnresolvedAddressException) {
                return true;
            }
        }
        return false;
    }

    private static boolean successful(HttpResponse<?> response) {
        return response.statusCode() / 100 == 2;
    }

    private static byte[] expectBytes(HttpResponse<byte[]> response) throws ApiException {
        if (!successful(response)) {
            throw error(response);
        }
        return response.body();
    }

    /** The body of a 2xx answer as JSON (a missing node when empty, as for 204), else the error. */
    private static JsonNode expectJson(HttpResponse<byte[]> response) throws ApiException {
        byte[] body = expectBytes(response);
        if (body.length == 0) {
            return MissingNode.getInstance();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw unexpected(response.statusCode(), "an answer that is not JSON");
        }
    }

    private static ApiException unexpected(int status, String what) {
        return new ApiException(status, "bad_response", "the node sent " + what, null, null, null);
    }

    /** Maps an error answer to an exception, whether or not its body is the documented JSON. */
    static ApiException error(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        JsonNode body = MissingNode.getInstance();
        try {
            if (response.body().length > 0) {
                body = JSON.readTree(response.body());
            }
        } catch (IOException e) {
            // not JSON: a proxy's page, say; described by status below
        }
        JsonNode error = body == null ? MissingNode.getInstance() : body.path("error");
        if (!error.isObject()) {
            return new ApiException(status, "http_" + status, "the node answered HTTP " + status + " without details",
                    null, body, response.headers());
        }
        String message = error.path("message").asText("");
        return new ApiException(status, error.path("code").asText("http_" + status),
                message.isEmpty() ? "the node answered HTTP " + status : message,
                error.path("field").isTextual() ? error.get("field").asText() : null, body, response.headers());
    }

    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(Map<String, Object> parameters) {
        String query = parameters.entrySet().stream()
                .filter(entry -> entry.getValue() != null)
                .map(entry -> entry.getKey() + "=" + segment(entry.getValue().toString()))
                .collect(Collectors.joining("&"));
        return query.isEmpty() ? "" : "?" + query;
    }

    /** An empty JSON object, for building request bodies. */
    public static ObjectNode object() {
        return JSON.createObjectNode();
    }
}
