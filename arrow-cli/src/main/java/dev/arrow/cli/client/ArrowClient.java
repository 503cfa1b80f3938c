package dev.arrow.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.HttpTransport.Response;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * The node's REST API (docs/api.md) over HTTP/1.1 ({@link HttpTransport}): one method per call. Errors of the
 * node become {@link ApiException}; a node that cannot be reached, {@link NodeUnreachableException}.
 */
public final class ArrowClient implements AutoCloseable {

    public static final String DEFAULT_NODE = "http://127.0.0.1:7070";
    public static final String GZIP = "application/gzip";
    public static final String ZIP = "application/zip";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** For calls that only read or write a record; invocations and uploads take as long as they take. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration NO_TIMEOUT = Duration.ZERO;
    /** The header that makes a deploy or an invocation happen at most once (docs/api.md). */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /**
     * The pauses before the second and the third attempt of a request under an idempotency key
     * whose connection failed before an answer came (refused, reset, closed): three attempts over
     * about 2 s, none of which can run it twice.
     */
    static final List<Duration> RETRY_PAUSES = List.of(Duration.ofMillis(500), Duration.ofMillis(1500));

    private final URI base;
    private final String token;
    private final HttpTransport http;
    private final List<Duration> retryPauses;

    /**
     * @param base  the node, e.g. {@code http://127.0.0.1:7070} ({@link #nodeUri})
     * @param token the bearer token
     */
    public ArrowClient(URI base, String token) {
        this(base, token, RETRY_PAUSES);
    }

    ArrowClient(URI base, String token, List<Duration> retryPauses) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = Objects.requireNonNull(token, "token");
        this.http = new HttpTransport(this.base, CONNECT_TIMEOUT);
        this.retryPauses = List.copyOf(retryPauses);
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
        JsonNode json = expectJson(send("POST", "/v1/bundles", Map.of("Content-Type", contentType),
                RequestBody.ofFile(file), NO_TIMEOUT, sent));
        if (!json.path("digest").isTextual()) {
            throw unexpected(201, "an upload answer without a digest");
        }
        return new Bundle(json.get("digest").asText(), json.path("files").asLong(), json.path("bytes").asLong(),
                json.path("created").asBoolean(true));
    }

    // ---- arrows

    /** {@code POST /v1/arrows}: the spec becomes the arrow's next revision; answers the arrow. */
    public JsonNode deploy(JsonNode spec) throws IOException, InterruptedException, ApiException {
        return deploy(spec, null);
    }

    /**
     * {@link #deploy(JsonNode)} under an idempotency key, or none when null: a deploy whose
     * connection fails before the answer is sent again with the same key, a few times.
     */
    public JsonNode deploy(JsonNode spec, String idempotencyKey) throws IOException, InterruptedException, ApiException {
        if (idempotencyKey == null) {
            return expectJson(sendJson("/v1/arrows", spec));
        }
        return expectJson(sendOnce("POST", "/v1/arrows", Map.of("Content-Type", "application/json"),
                RequestBody.of(Json.bytes(spec)), CALL_TIMEOUT, idempotencyKey));
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
        expectJson(send("DELETE", "/v1/arrows/" + segment(name), Map.of(), RequestBody.empty(), CALL_TIMEOUT, null));
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
        return expectJson(revision == null
                ? send("POST", path, Map.of(), RequestBody.empty(), CALL_TIMEOUT, null)
                : sendJson(path, Json.object().put("revision", revision)));
    }

    // ---- invocations

    /**
     * {@code POST /v1/arrows/{name}/invoke}, the body as the program's stdin. A failed invocation
     * is an {@link ApiException} whose code is the outcome (exited, timed_out, ...).
     */
    public InvokeResult invoke(String name, RequestBody stdin, boolean async)
            throws IOException, InterruptedException, ApiException {
        return invoke(name, stdin, async, null);
    }

    /**
     * {@link #invoke(String, RequestBody, boolean)} under an idempotency key, or none when null: a
     * request whose connection fails before an answer comes (refused, reset, closed early) is sent
     * again with the same key, up to three attempts in about 2 s, and the node runs it at most once.
     */
    public InvokeResult invoke(String name, RequestBody stdin, boolean async, String idempotencyKey)
            throws IOException, InterruptedException, ApiException {
        String path = "/v1/arrows/" + segment(name) + "/invoke" + (async ? "?async=true" : "");
        Map<String, String> headers = Map.of("Content-Type", "application/octet-stream");
        Response response = idempotencyKey == null ? send("POST", path, headers, stdin, NO_TIMEOUT, null)
                : sendOnce("POST", path, headers, stdin, NO_TIMEOUT, idempotencyKey);
        if (!successful(response)) {
            throw error(response);
        }
        return new InvokeResult(response.status(), response.headers(), response.body());
    }

    /** {@code GET /v1/invocations/{id}}: a record. */
    public JsonNode invocation(String id) throws IOException, InterruptedException, ApiException {
        return get("/v1/invocations/" + segment(id));
    }

    /** {@code GET /v1/invocations/{id}/output}: stdout of a finished invocation. */
    public byte[] invocationOutput(String id) throws IOException, InterruptedException, ApiException {
        return expectBytes(send("GET", "/v1/invocations/" + segment(id) + "/output", Map.of(), RequestBody.empty(),
                CALL_TIMEOUT, null));
    }

    /** {@code GET /v1/invocations/{id}/logs}: its stderr as text. */
    public String invocationLogs(String id) throws IOException, InterruptedException, ApiException {
        byte[] log = expectBytes(send("GET", "/v1/invocations/" + segment(id) + "/logs", Map.of(), RequestBody.empty(),
                CALL_TIMEOUT, null));
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

    // ---- key-value stores

    /** {@code GET /v1/kv}: {@code {"stores":[{"name","maxBytes","maxKeys","bytes","keys","revision","createdAt"}]}}. */
    public JsonNode kvStores() throws IOException, InterruptedException, ApiException {
        return get("/v1/kv");
    }

    /**
     * {@code PUT /v1/kv/{store}/keys/{key}}: the value as the key's next revision, making the store
     * on its first write; answers {@code {"store","key","revision","expiresAt"?}}.
     *
     * @param ttl        how long the value lives, or null
     * @param ifRevision only if the key is at this revision ({@code If-Match}), or null
     * @param createOnly only if the key is absent ({@code If-None-Match: *})
     */
    public JsonNode kvPut(String store, String key, RequestBody value, Duration ttl, Long ifRevision, boolean createOnly)
            throws IOException, InterruptedException, ApiException {
        var headers = new LinkedHashMap<String, String>();
        headers.put("Content-Type", "application/octet-stream");
        if (ifRevision != null) {
            headers.put("If-Match", "\"" + ifRevision + "\"");
        }
        if (createOnly) {
            headers.put("If-None-Match", "*");
        }
        String query = ttl == null ? "" : "?ttl=" + ttl.toMillis() + "ms";
        return expectJson(send("PUT", keyPath(store, key) + query, headers, value, CALL_TIMEOUT, null));
    }

    /** {@code GET /v1/kv/{store}/keys/{key}}: the value and its revision. */
    public KvValue kvGet(String store, String key) throws IOException, InterruptedException, ApiException {
        Response response = send("GET", keyPath(store, key), Map.of(), RequestBody.empty(), CALL_TIMEOUT, null);
        byte[] value = expectBytes(response);
        String etag = response.headers().firstValue("ETag").orElse("").strip();
        String digits = etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1) : etag;
        try {
            return new KvValue(value, Long.parseLong(digits), response.headers().firstValue("X-Arrow-Expires-At"));
        } catch (NumberFormatException e) {
            throw unexpected(response.status(), "a value without its revision (ETag '" + etag + "')");
        }
    }

    /**
     * {@code GET /v1/kv/{store}/keys}: a page of keys, {@code {"keys":[...],"next"}}. Null arguments
     * are left out.
     */
    public JsonNode kvList(String store, String prefix, Integer limit, String cursor)
            throws IOException, InterruptedException, ApiException {
        var query = new LinkedHashMap<String, Object>();
        query.put("prefix", prefix);
        query.put("limit", limit);
        query.put("cursor", cursor);
        return get("/v1/kv/" + segment(store) + "/keys" + query(query));
    }

    /** {@code DELETE /v1/kv/{store}/keys/{key}}, only if the key is at {@code ifRevision} when given. */
    public void kvDelete(String store, String key, Long ifRevision) throws IOException, InterruptedException, ApiException {
        Map<String, String> headers = ifRevision == null ? Map.of() : Map.of("If-Match", "\"" + ifRevision + "\"");
        expectJson(send("DELETE", keyPath(store, key), headers, RequestBody.empty(), CALL_TIMEOUT, null));
    }

    /** A key as the rest of the path: each '/'-separated part percent-encoded, the slashes as they are. */
    static String keyPath(String store, String key) {
        var path = new StringBuilder("/v1/kv/").append(segment(store)).append("/keys/");
        int start = 0;
        for (int slash; (slash = key.indexOf('/', start)) >= 0; start = slash + 1) {
            path.append(segment(key.substring(start, slash))).append('/');
        }
        return path.append(segment(key.substring(start))).toString();
    }

    // ---- queues

    /** {@code GET /v1/queues}: {@code {"queues":[{"name",...options,"visible","inFlight","delayed","oldestMessageAge"}]}}. */
    public JsonNode queues() throws IOException, InterruptedException, ApiException {
        return get("/v1/queues");
    }

    /**
     * {@code POST /v1/queues/{queue}/messages}: the body as a message, making the queue on its first
     * send; answers {@code {"queue","id","sentAt","visibleAt"}}. Sent once: a send is not retried,
     * so that a lost answer never makes a message twice.
     *
     * @param delay how long it stays invisible, or null for the queue's delay
     */
    public JsonNode queueSend(String queue, RequestBody body, Duration delay)
            throws IOException, InterruptedException, ApiException {
        String query = delay == null ? "" : "?delay=" + delay.toMillis() + "ms";
        return expectJson(send("POST", "/v1/queues/" + segment(queue) + "/messages" + query,
                Map.of("Content-Type", "application/octet-stream"), body, CALL_TIMEOUT, null));
    }

    /**
     * {@code POST /v1/queues/{queue}/receive}: up to {@code max} messages, waiting up to {@code wait}
     * for the first; {@code {"messages":[{"id","body"?,"bodyBase64","receiptHandle","receiveCount",...}]}}.
     *
     * @param visibility how long they stay invisible, or null for the queue's timeout
     */
    public JsonNode queueReceive(String queue, int max, Duration wait, Duration visibility)
            throws IOException, InterruptedException, ApiException {
        ObjectNode body = object();
        body.put("maxMessages", max);
        body.put("waitTime", wait.toMillis());
        if (visibility != null) {
            body.put("visibilityTimeout", visibility.toMillis());
        }
        return expectJson(sendJson("/v1/queues/" + segment(queue) + "/receive", body));
    }

    /** {@code POST /v1/queues/{queue}/delete}: deletes (acknowledges) a received message. */
    public void queueDelete(String queue, String receiptHandle) throws IOException, InterruptedException, ApiException {
        ObjectNode body = object();
        body.put("receiptHandle", receiptHandle);
        expectJson(sendJson("/v1/queues/" + segment(queue) + "/delete", body));
    }

    /** {@code POST /v1/queues/{queue}/purge}: {@code {"queue","purged"}}. */
    public JsonNode queuePurge(String queue) throws IOException, InterruptedException, ApiException {
        return expectJson(sendJson("/v1/queues/" + segment(queue) + "/purge", object()));
    }

    /** {@code POST /v1/queues/{queue}/redrive}: a dead-letter queue's messages back to their queues; {@code {"queue","moved"}}. */
    public JsonNode queueRedrive(String queue) throws IOException, InterruptedException, ApiException {
        return expectJson(sendJson("/v1/queues/" + segment(queue) + "/redrive", object()));
    }

    // ---- events

    /**
     * {@code POST /v1/events}: one CloudEvent in structured mode; answers
     * {@code {"events":[{"source","id","stored","deliveries"}]}}. A retry stores nothing twice
     * (events are unique by source and id).
     */
    public JsonNode eventSend(JsonNode event) throws IOException, InterruptedException, ApiException {
        return expectJson(send("POST", "/v1/events", Map.of("Content-Type", "application/cloudevents+json"),
                RequestBody.of(Json.bytes(event)), CALL_TIMEOUT, null));
    }

    /** {@code GET /v1/events}: recent events, newest first, with their deliveries; any argument may be null. */
    public JsonNode events(String type, String source, Integer limit) throws IOException, InterruptedException, ApiException {
        var parameters = new LinkedHashMap<String, Object>();
        parameters.put("type", type);
        parameters.put("source", source);
        parameters.put("limit", limit);
        return get("/v1/events" + query(parameters));
    }

    /** {@code POST /v1/events/redrive}: a queue's dead letters (null: the node's) delivered again; {@code {"queue","redriven","skipped"}}. */
    public JsonNode eventsRedrive(String queue) throws IOException, InterruptedException, ApiException {
        return expectJson(sendJson("/v1/events/redrive" + (queue == null ? "" : "?queue=" + segment(queue)), object()));
    }

    // ---- flows

    /**
     * {@code POST /v1/flows?language=dsl|asl[&name=N]}: deploys a flow's source (Serverless Workflow
     * YAML or JSON, or States Language JSON); answers {@code {name, revision, language, deployedAt}}.
     */
    public JsonNode flowDeploy(String language, String name, byte[] source) throws IOException, InterruptedException, ApiException {
        var parameters = new LinkedHashMap<String, Object>();
        parameters.put("language", language);
        parameters.put("name", name);
        String type = language.equals("asl") ? "application/json" : "application/yaml";
        return expectJson(send("POST", "/v1/flows" + query(parameters), Map.of("Content-Type", type), RequestBody.of(source),
                CALL_TIMEOUT, null));
    }

    /** {@code GET /v1/flows}: {@code {"flows":[...]}}, each flow's latest revision. */
    public JsonNode flows() throws IOException, InterruptedException, ApiException {
        return get("/v1/flows");
    }

    /** {@code GET /v1/flows/{name}}: the latest revision with its source. */
    public JsonNode flow(String name) throws IOException, InterruptedException, ApiException {
        return get("/v1/flows/" + segment(name));
    }

    /** {@code GET /v1/flows/{name}/revisions}: {@code {"revisions":[...]}}, oldest first. */
    public JsonNode flowRevisions(String name) throws IOException, InterruptedException, ApiException {
        return get("/v1/flows/" + segment(name) + "/revisions");
    }

    /** {@code DELETE /v1/flows/{name}}; runs already started go on. */
    public void flowDelete(String name) throws IOException, InterruptedException, ApiException {
        expectJson(send("DELETE", "/v1/flows/" + segment(name), Map.of(), RequestBody.empty(), CALL_TIMEOUT, null));
    }

    /**
     * {@code POST /v1/flows/{name}/runs[?wait=]}: starts a run with {@code input}; with {@code wait},
     * the node answers once the run ended or the wait is over, the run as it then is.
     */
    public JsonNode flowStart(String name, JsonNode input, Duration wait) throws IOException, InterruptedException, ApiException {
        String query = wait == null ? "" : "?wait=" + wait.toMillis() + "ms";
        // Not retried: a second start is a second run.
        return expectJson(send("POST", "/v1/flows/" + segment(name) + "/runs" + query, Map.of("Content-Type", "application/json"),
                RequestBody.of(Json.bytes(input)), wait == null ? CALL_TIMEOUT : CALL_TIMEOUT.plus(wait), null));
    }

    /** {@code GET /v1/flows/{name}/runs}: runs, newest first, of one flow (null: all); any argument may be null. */
    public JsonNode flowRuns(String name, String status, Integer limit) throws IOException, InterruptedException, ApiException {
        var parameters = new LinkedHashMap<String, Object>();
        parameters.put("status", status);
        parameters.put("limit", limit);
        return get("/v1/flows/" + (name == null ? "-" : segment(name)) + "/runs" + query(parameters));
    }

    /** {@code GET /v1/flows/-/runs/{id}}: a run with its steps. */
    public JsonNode flowRun(String id) throws IOException, InterruptedException, ApiException {
        return get("/v1/flows/-/runs/" + segment(id));
    }

    /** {@code GET /v1/flows/-/runs/{id}?wait=}: the run once it ended or the wait is over, with its steps. */
    public JsonNode flowRunAwait(String id, Duration wait) throws IOException, InterruptedException, ApiException {
        return expectJson(send("GET", "/v1/flows/-/runs/" + segment(id) + "?wait=" + wait.toMillis() + "ms", Map.of(),
                RequestBody.empty(), CALL_TIMEOUT.plus(wait), null));
    }

    /** {@code POST /v1/flows/-/runs/{id}/cancel}. */
    public JsonNode flowCancel(String id) throws IOException, InterruptedException, ApiException {
        return expectJson(sendJson("/v1/flows/-/runs/" + segment(id) + "/cancel", object()));
    }

    /** {@code POST /v1/flows/-/runs/{id}/redrive}: a failed run again from the steps that failed. */
    public JsonNode flowRedrive(String id) throws IOException, InterruptedException, ApiException {
        return expectJson(sendJson("/v1/flows/-/runs/" + segment(id) + "/redrive", object()));
    }

    /** {@code GET /v1/triggers}: every trigger (or one arrow's) with its firings and deliveries. */
    public JsonNode triggers(String arrow) throws IOException, InterruptedException, ApiException {
        return get("/v1/triggers" + (arrow == null ? "" : "?arrow=" + segment(arrow)));
    }

    /**
     * {@code POST /v1/keys}: a new access key, labelled {@code name} (or null for none); answers
     * {@code {"accessKeyId","secretAccessKey","name","createdAt"}}, the only time the secret is shown.
     * Sent once: a lost answer is not retried, so that it never makes two keys.
     */
    public JsonNode keyCreate(String name) throws IOException, InterruptedException, ApiException {
        ObjectNode body = object();
        if (name != null) {
            body.put("name", name);
        }
        return expectJson(sendJson("/v1/keys", body));
    }

    /** {@code GET /v1/keys}: {@code {"keys":[{"accessKeyId","name","createdAt"}]}}, never secrets. */
    public JsonNode keys() throws IOException, InterruptedException, ApiException {
        return get("/v1/keys");
    }

    /** {@code DELETE /v1/keys/{id}}. */
    public void keyDelete(String id) throws IOException, InterruptedException, ApiException {
        expectJson(send("DELETE", "/v1/keys/" + segment(id), Map.of(), RequestBody.empty(), CALL_TIMEOUT, null));
    }

    // ---- buckets and objects

    /** {@code GET /v1/buckets}: {@code {"buckets":[{"name","createdAt","objects","bytes"}]}}. */
    public JsonNode buckets() throws IOException, InterruptedException, ApiException {
        return get("/v1/buckets");
    }

    /** {@code PUT /v1/buckets/{bucket}}: the bucket; {@code created} tells whether this call made it. */
    public JsonNode bucketCreate(String bucket) throws IOException, InterruptedException, ApiException {
        Response response = send("PUT", "/v1/buckets/" + segment(bucket), Map.of(), RequestBody.empty(), CALL_TIMEOUT,
                null);
        JsonNode info = expectJson(response);
        if (info instanceof ObjectNode object) {
            object.put("created", response.status() == 201);
        }
        return info;
    }

    /** {@code DELETE /v1/buckets/{bucket}}: only an empty bucket. */
    public void bucketDelete(String bucket) throws IOException, InterruptedException, ApiException {
        expectJson(send("DELETE", "/v1/buckets/" + segment(bucket), Map.of(), RequestBody.empty(), CALL_TIMEOUT, null));
    }

    /** {@code GET /v1/buckets/{bucket}/objects}: a page, {@code {"objects":[...],"nextCursor"?}}. Nulls are left out. */
    public JsonNode objectList(String bucket, String prefix, Integer limit, String cursor)
            throws IOException, InterruptedException, ApiException {
        var query = new LinkedHashMap<String, Object>();
        query.put("prefix", prefix);
        query.put("limit", limit);
        query.put("cursor", cursor);
        return get("/v1/buckets/" + segment(bucket) + "/objects" + query(query));
    }

    /**
     * {@code PUT /v1/buckets/{bucket}/objects/{key}}: the object from {@code body} (a file streams
     * from disk), making the bucket on its first write; answers {@code {"bucket","key","size","etag"}}.
     *
     * @param contentType kept with the object, or null for application/octet-stream
     */
    public JsonNode objectPut(String bucket, String key, RequestBody body, String contentType, LongConsumer sent)
            throws IOException, InterruptedException, ApiException {
        Map<String, String> headers = contentType == null ? Map.of() : Map.of("Content-Type", contentType);
        return expectJson(send("PUT", objectPath(bucket, key), headers, body, CALL_TIMEOUT, sent));
    }

    /**
     * {@code GET /v1/buckets/{bucket}/objects/{key}}: the body copied to {@code out} as it arrives;
     * answers the object's headers (Content-Type, ETag, Last-Modified, Content-Length).
     */
    public HttpHeaders objectGet(String bucket, String key, OutputStream out)
            throws IOException, InterruptedException, ApiException {
        var all = new LinkedHashMap<String, String>();
        all.put("Authorization", "Bearer " + token);
        Response response;
        try {
            response = http.send("GET", base.getRawPath() + objectPath(bucket, key), all, RequestBody.empty(),
                    CALL_TIMEOUT, null, out);
        } catch (HttpTransport.TransportException e) {
            if (e.connecting) {
                throw unreachable(e);
            }
            throw new NodeUnreachableException("lost the connection to the node at " + base + ": " + e.getMessage(), e);
        }
        expectBytes(response);
        return response.headers();
    }

    /** {@code DELETE /v1/buckets/{bucket}/objects/{key}}. */
    public void objectDelete(String bucket, String key) throws IOException, InterruptedException, ApiException {
        expectJson(send("DELETE", objectPath(bucket, key), Map.of(), RequestBody.empty(), CALL_TIMEOUT, null));
    }

    /** An object's key as the rest of the path: each '/'-separated part percent-encoded, the slashes as they are. */
    static String objectPath(String bucket, String key) {
        var path = new StringBuilder("/v1/buckets/").append(segment(bucket)).append("/objects/");
        int start = 0;
        for (int slash; (slash = key.indexOf('/', start)) >= 0; start = slash + 1) {
            path.append(segment(key.substring(start, slash))).append('/');
        }
        return path.append(segment(key.substring(start))).toString();
    }

    /** Each call has a connection of its own, closed with its answer: nothing is left to close. */
    @Override
    public void close() {
    }

    // ---- plumbing

    private Response sendJson(String path, JsonNode body) throws IOException {
        return send("POST", path, Map.of("Content-Type", "application/json"), RequestBody.of(Json.bytes(body)),
                CALL_TIMEOUT, null);
    }

    private JsonNode get(String pathAndQuery) throws IOException, InterruptedException, ApiException {
        return expectJson(send("GET", pathAndQuery, Map.of(), RequestBody.empty(), CALL_TIMEOUT, null));
    }

    private Response send(String method, String pathAndQuery, Map<String, String> headers, RequestBody body,
            Duration readTimeout, LongConsumer sent) throws IOException {
        var all = new LinkedHashMap<String, String>(headers);
        all.put("Authorization", "Bearer " + token);
        try {
            return http.send(method, base.getRawPath() + pathAndQuery, all, body, readTimeout, sent);
        } catch (HttpTransport.TransportException e) {
            if (e.connecting) {
                throw unreachable(e);
            }
            if (e.timedOut) {
                throw new NodeUnreachableException("the node at " + base + " did not answer within "
                        + readTimeout.toSeconds() + "s", e);
            }
            throw new NodeUnreachableException("lost the connection to the node at " + base + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sends a request under an idempotency key, again with the same key when its connection
     * failed before any answer came: the node does it at most once, however many arrive. Not when
     * the node did not answer in time (it may still be at it) or its name does not resolve.
     */
    private Response sendOnce(String method, String pathAndQuery, Map<String, String> headers, RequestBody body,
            Duration readTimeout, String idempotencyKey) throws IOException, InterruptedException {
        var keyed = new LinkedHashMap<String, String>(headers);
        keyed.put(IDEMPOTENCY_KEY, idempotencyKey);
        for (int attempt = 0; ; attempt++) {
            try {
                return send(method, pathAndQuery, keyed, body, readTimeout, null);
            } catch (NodeUnreachableException e) {
                if (attempt >= retryPauses.size() || !(e.getCause() instanceof HttpTransport.TransportException cut)
                        || cut.timedOut || cut.getCause() instanceof java.net.UnknownHostException) {
                    throw e;
                }
                Thread.sleep(retryPauses.get(attempt));
            }
        }
    }

    private NodeUnreachableException unreachable(IOException cause) {
        return new NodeUnreachableException("cannot reach the node at " + base + ": is `arrow serve` running?", cause);
    }

    private static boolean successful(Response response) {
        return response.status() / 100 == 2;
    }

    private static byte[] expectBytes(Response response) throws ApiException {
        if (!successful(response)) {
            throw error(response);
        }
        return response.body();
    }

    /** The body of a 2xx answer as JSON (a missing node when empty, as for 204), else the error. */
    private static JsonNode expectJson(Response response) throws ApiException {
        byte[] body = expectBytes(response);
        if (body.length == 0) {
            return MissingNode.getInstance();
        }
        try {
            return Json.parse(body);
        } catch (IOException e) {
            throw unexpected(response.status(), "an answer that is not JSON");
        }
    }

    private static ApiException unexpected(int status, String what) {
        return new ApiException(status, "bad_response", "the node sent " + what, null, null, null);
    }

    /** Maps an error answer to an exception, whether or not its body is the documented JSON. */
    static ApiException error(Response response) {
        int status = response.status();
        JsonNode body = MissingNode.getInstance();
        try {
            if (response.body().length > 0) {
                body = Json.parse(response.body());
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
        return Json.object();
    }
}
