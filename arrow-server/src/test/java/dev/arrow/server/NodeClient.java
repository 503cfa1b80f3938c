package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;

/** A plain HTTP client for a test node, with its token. */
final class NodeClient {

    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String token;

    NodeClient(Node node) throws IOException {
        this.base = node.uri();
        this.token = Files.readString(node.home().resolve("token")).strip();
    }

    record Reply(int status, java.net.http.HttpHeaders headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    Reply send(String method, String path, String contentType, byte[] body, String tokenOrNull) throws Exception {
        return send(method, path, contentType, body, tokenOrNull, java.util.Map.of());
    }

    /** With the token and {@code headers} besides. */
    Reply post(String path, String contentType, byte[] body, java.util.Map<String, String> headers) throws Exception {
        return send("POST", path, contentType, body, token, headers);
    }

    Reply send(String method, String path, String contentType, byte[] body, String tokenOrNull,
            java.util.Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (tokenOrNull != null) {
            request.header("Authorization", "Bearer " + tokenOrNull);
        }
        headers.forEach(request::header);
        HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(response.statusCode(), response.headers(), response.body());
    }

    /** With the token and {@code headers}, any method. */
    Reply call(String method, String path, String contentType, byte[] body, java.util.Map<String, String> headers)
            throws Exception {
        return send(method, path, contentType, body, token, headers);
    }

    Reply get(String path) throws Exception {
        return send("GET", path, null, null, token);
    }

    Reply delete(String path) throws Exception {
        return send("DELETE", path, null, null, token);
    }

    Reply postJson(String path, String json) throws Exception {
        return send("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8), token);
    }

    Reply post(String path, String contentType, byte[] body) throws Exception {
        return send("POST", path, contentType, body, token);
    }

    Reply deploy(String json) throws Exception {
        return postJson("/v1/arrows", json);
    }

    Reply invoke(String arrow, String input) throws Exception {
        return post("/v1/arrows/" + arrow + "/invoke", "application/octet-stream", input.getBytes(StandardCharsets.UTF_8));
    }

    /** An invocation's record once it is finished: a gateway request's is stored just after its response. */
    JsonNode record(String id) {
        var found = new java.util.concurrent.atomic.AtomicReference<JsonNode>();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            Reply reply = get("/v1/invocations/" + id);
            found.set(reply.status() == 200 ? reply.json() : null);
            return found.get() != null && found.get().has("outcome");
        });
        return found.get();
    }
}
