package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key-value API on a real node: stores, keys, conditions, TTLs, caps and bad input. */
class KvIT {

    private static final String OCTETS = "application/octet-stream";

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(0));
        client = new NodeClient(node);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    /** A key as a path: each '/'-separated part percent-encoded, the slashes as they are. */
    private static String keyPath(String store, String key) {
        var parts = new ArrayList<String>();
        for (String part : key.split("/", -1)) {
            parts.add(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return "/v1/kv/" + store + "/keys/" + String.join("/", parts);
    }

    private NodeClient.Reply put(String store, String key, String value, Map<String, String> headers) throws Exception {
        return client.call("PUT", keyPath(store, key), OCTETS, value.getBytes(StandardCharsets.UTF_8), headers);
    }

    private NodeClient.Reply put(String store, String key, String value) throws Exception {
        return put(store, key, value, Map.of());
    }

    private NodeClient.Reply get(String store, String key) throws Exception {
        return client.get(keyPath(store, key));
    }

    private static void assertError(NodeClient.Reply reply, int status, String code, String field) throws IOException {
        assertThat(reply.status()).as(reply.text()).isEqualTo(status);
        JsonNode error = reply.json().path("error");
        assertThat(error.path("code").asText()).as(reply.text()).isEqualTo(code);
        if (field != null) {
            assertThat(error.path("field").asText()).as(reply.text()).isEqualTo(field);
        }
        assertThat(error.path("message").asText()).isNotBlank();
    }

    @Test
    void putGetListAndDeleteWithRevisions() throws Exception {
        NodeClient.Reply created = put("config", "db/url", "postgres://db:5432");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.header("ETag")).isEqualTo("\"1\"");
        assertThat(created.json().path("revision").asLong()).isEqualTo(1);
        assertThat(created.json().path("key").asText()).isEqualTo("db/url");
        assertThat(created.json().has("expiresAt")).isFalse();

        NodeClient.Reply read = get("config", "db/url");
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.text()).isEqualTo("postgres://db:5432");
        assertThat(read.header("ETag")).isEqualTo("\"1\"");
        assertThat(read.header("Content-Type")).isEqualTo(OCTETS);

        // Keys of any UTF-8 but control characters, slashes included.
        String odd = "dir/sub dir/ü?&#%+=😀";
        assertThat(put("config", odd, "odd").status()).isEqualTo(201);
        assertThat(get("config", odd).text()).isEqualTo("odd");
        assertThat(put("config", "db/user", "").status()).isEqualTo(201);
        assertThat(get("config", "db/user").body()).isEmpty();

        JsonNode page = client.get("/v1/kv/config/keys?prefix=db%2F&limit=1").json();
        assertThat(page.path("keys")).hasSize(1);
        assertThat(page.path("keys").get(0).path("key").asText()).isEqualTo("db/url");
        assertThat(page.path("keys").get(0).path("size").asLong()).isEqualTo(18);
        assertThat(page.path("keys").get(0).path("revision").asLong()).isEqualTo(1);
        String next = page.path("next").asText();
        JsonNode last = client.get("/v1/kv/config/keys?prefix=db%2F&limit=1&cursor=" + next).json();
        assertThat(last.path("keys").get(0).path("key").asText()).isEqualTo("db/user");
        assertThat(last.path("next").isNull()).isTrue();
        assertThat(client.get("/v1/kv/config/keys").json().path("keys")).hasSize(3);

        JsonNode info = client.get("/v1/kv/config").json();
        assertThat(info.path("keys").asLong()).isEqualTo(3);
        assertThat(info.path("revision").asLong()).isEqualTo(3);
        assertThat(info.path("maxBytes").asLong()).isEqualTo(64L << 20);
        assertThat(info.path("maxKeys").asLong()).isEqualTo(100_000);
        assertThat(info.path("bytes").asLong()).isEqualTo(6 + 18 + odd.getBytes(StandardCharsets.UTF_8).length + 3 + 7);
        assertThat(client.get("/v1/kv").json().path("stores").get(0).path("name").asText()).isEqualTo("config");

        assertThat(client.delete(keyPath("config", "db/url")).status()).isEqualTo(204);
        assertError(get("config", "db/url"), 404, "not_found", null);
        assertError(client.delete(keyPath("config", "db/url")), 404, "not_found", null);
        assertThat(put("config", "db/url", "again").header("ETag")).as("deletes take a revision").isEqualTo("\"5\"");

        assertThat(client.delete("/v1/kv/config").status()).isEqualTo(204);
        assertError(client.get("/v1/kv/config"), 404, "not_found", null);
        assertError(get("config", "db/user"), 404, "not_found", null);
        assertError(client.get("/v1/kv/config/keys"), 404, "not_found", null);
    }

    @Test
    void createOnlyAndCompareAndSet() throws Exception {
        Map<String, String> create = Map.of("If-None-Match", "*");
        assertThat(put("locks", "job-1", "owner-a", create).status()).isEqualTo(201);
        assertError(put("locks", "job-1", "owner-b", create), 412, "precondition_failed", null);

        NodeClient.Reply swapped = put("locks", "job-1", "owner-c", Map.of("If-Match", "\"1\""));
        assertThat(swapped.status()).isEqualTo(201);
        assertThat(swapped.header("ETag")).isEqualTo("\"2\"");
        assertError(put("locks", "job-1", "owner-d", Map.of("If-Match", "\"1\"")), 412, "precondition_failed", null);
        assertError(client.call("DELETE", keyPath("locks", "job-1"), null, null, Map.of("If-Match", "\"1\"")), 412,
                "precondition_failed", null);
        assertThat(get("locks", "job-1").text()).isEqualTo("owner-c");

        // A cache's revalidation.
        NodeClient.Reply unchanged = client.call("GET", keyPath("locks", "job-1"), null, null,
                Map.of("If-None-Match", "\"2\""));
        assertThat(unchanged.status()).isEqualTo(304);
        assertThat(unchanged.header("ETag")).isEqualTo("\"2\"");
        assertThat(client.call("GET", keyPath("locks", "job-1"), null, null, Map.of("If-None-Match", "\"1\"")).status())
                .isEqualTo(200);

        assertThat(client.call("DELETE", keyPath("locks", "job-1"), null, null, Map.of("If-Match", "\"2\"")).status())
                .isEqualTo(204);
        assertThat(put("locks", "job-1", "owner-e", create).status()).isEqualTo(201);
    }

    @Test
    void aValueWithATtlGoesAtItsExpiry() throws Exception {
        NodeClient.Reply written = client.call("PUT", keyPath("sessions", "s1") + "?ttl=1s", OCTETS,
                "token".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(written.status()).isEqualTo(201);
        Instant expiresAt = Instant.parse(written.json().path("expiresAt").asText());
        assertThat(written.header("X-Arrow-Expires-At")).isEqualTo(expiresAt.toString());
        assertThat(put("sessions", "kept", "v").status()).isEqualTo(201);
        NodeClient.Reply read = get("sessions", "s1");
        if (read.status() == 200) { // unless this machine was slower than a second
            assertThat(read.header("X-Arrow-Expires-At")).isEqualTo(expiresAt.toString());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> get("sessions", "s1").status() == 404);
        assertThat(Instant.now()).isAfterOrEqualTo(expiresAt);
        assertThat(client.get("/v1/kv/sessions/keys").json().path("keys")).hasSize(1);
        assertThat(client.get("/v1/kv/sessions").json().path("keys").asLong()).isEqualTo(1);
    }

    @Test
    void aStoreMadeWithCapsAnswers413And429() throws Exception {
        NodeClient.Reply made = client.call("PUT", "/v1/kv/small", "application/json",
                "{\"maxBytes\":\"1k\",\"maxKeys\":2}".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        assertThat(made.json().path("maxBytes").asLong()).isEqualTo(1024);
        NodeClient.Reply again = client.call("PUT", "/v1/kv/small", "application/json",
                "{\"maxBytes\":1024,\"maxKeys\":2}".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(again.status()).isEqualTo(200);
        assertError(client.call("PUT", "/v1/kv/small", "application/json",
                "{\"maxKeys\":3}".getBytes(StandardCharsets.UTF_8), Map.of()), 409, "store_exists", "store");

        assertThat(put("small", "a", "x".repeat(500)).status()).isEqualTo(201);
        assertError(put("small", "b", "x".repeat(600)), 413, "store_full", null);
        assertThat(put("small", "b", "x").status()).isEqualTo(201);
        assertError(put("small", "c", "x"), 429, "too_many_keys", null);
        assertThat(put("small", "a", "y").status()).as("an overwrite adds no key").isEqualTo(201);
        JsonNode info = client.get("/v1/kv/small").json();
        assertThat(info.path("keys").asLong()).isEqualTo(2);
        assertThat(info.path("bytes").asLong()).isEqualTo(4);
    }

    @Test
    void badInputIsA4xxNamingTheFieldAndChangesNothing() throws Exception {
        assertThat(put("s", "k", "original").status()).isEqualTo(201);
        JsonNode before = client.get("/v1/kv/s").json();

        assertError(client.call("PUT", "/v1/kv/Bad_Name/keys/k", OCTETS, new byte[1], Map.of()), 400, "invalid_input",
                "store");
        // Jetty refuses control characters in a path before the route sees them, naming the path.
        assertError(client.call("PUT", "/v1/kv/s/keys/a%0Ab", OCTETS, new byte[1], Map.of()), 400, "bad_request", "path");
        assertError(client.call("PUT", "/v1/kv/s/keys/a%7Fb", OCTETS, new byte[1], Map.of()), 400, "bad_request", "path");
        assertError(client.call("PUT", "/v1/kv/s/keys/" + "k".repeat(1025), OCTETS, new byte[1], Map.of()), 400,
                "invalid_input", "key");
        assertError(client.call("PUT", "/v1/kv/s/keys/", OCTETS, new byte[1], Map.of()), 400, "invalid_input", "key");
        assertError(client.call("PUT", "/v1/kv/s/keys/k?ttl=soon", OCTETS, new byte[1], Map.of()), 400, "invalid_input",
                "ttl");
        assertError(client.call("PUT", "/v1/kv/s/keys/k?ttl=0", OCTETS, new byte[1], Map.of()), 400, "invalid_input",
                "ttl");
        assertError(client.call("PUT", "/v1/kv/s/keys/k?ttl=400d", OCTETS, new byte[1], Map.of()), 400, "invalid_input",
                "ttl");
        assertError(put("s", "k", "x", Map.of("If-Match", "yesterday")), 400, "invalid_input", "If-Match");
        assertError(put("s", "k", "x", Map.of("If-Match", "\"0\"")), 400, "invalid_input", "If-Match");
        assertError(put("s", "k", "x", Map.of("If-None-Match", "\"3\"")), 400, "invalid_input", "If-None-Match");
        assertError(put("s", "k", "x", Map.of("If-None-Match", "*", "If-Match", "\"1\"")), 400, "invalid_input",
                "If-None-Match");
        assertError(client.call("DELETE", keyPath("s", "k"), null, null, Map.of("If-None-Match", "*")), 400,
                "invalid_input", "If-None-Match");
        assertError(client.call("PUT", "/v1/kv/s/keys/k", OCTETS, new byte[(1 << 20) + 1], Map.of()), 413,
                "payload_too_large", "value");
        assertError(client.call("PUT", "/v1/kv/new-store", "application/json",
                "{\"maxBytes\":0}".getBytes(StandardCharsets.UTF_8), Map.of()), 400, "invalid_input", "maxBytes");
        assertError(client.call("PUT", "/v1/kv/new-store", "application/json",
                "{\"maxKeys\":1e3}".getBytes(StandardCharsets.UTF_8), Map.of()), 400, "invalid_input", "maxKeys");
        assertError(client.call("PUT", "/v1/kv/new-store", "application/json",
                "{\"maxkeys\":3}".getBytes(StandardCharsets.UTF_8), Map.of()), 400, "invalid_input", "maxkeys");
        assertError(client.get("/v1/kv/s/keys?limit=0"), 400, "invalid_input", "limit");
        assertError(client.get("/v1/kv/s/keys?cursor=%21%21"), 400, "invalid_input", "cursor");
        assertError(client.get("/v1/kv/s/keys?prefix=%00"), 400, "invalid_input", "prefix");
        assertError(client.call("POST", "/v1/kv/s/keys/k", OCTETS, new byte[1], Map.of()), 405, "method_not_allowed",
                null);

        assertThat(client.get("/v1/kv/s").json()).isEqualTo(before);
        assertThat(get("s", "k").text()).isEqualTo("original");
        assertThat(client.get("/v1/kv").json().path("stores")).hasSize(1);
    }

    @Test
    void theKeyIsThePathAsSent() throws Exception {
        assertThat(put("s", "a/b", "slash").status()).isEqualTo(201);
        String token = Files.readString(home.resolve("token")).strip();
        // Not normalized: a/./b and a/../b are keys of their own; a '%' is a key's character.
        for (String[] sent : new String[][] {{"a/./b", "a/./b"}, {"a/../b", "a/../b"}, {"a/b/", "a/b/"},
                {"100%25", "100%"}, {"a;b", "a;b"}}) {
            WireClient.Answer answer = wirePut(token, sent[0]);
            assertThat(answer.status()).as(sent[0] + ": " + answer.text()).isEqualTo(201);
            assertThat(NodeClient.JSON.readTree(answer.body()).path("key").asText()).isEqualTo(sent[1]);
        }
        // What the HTTP layer refuses as ambiguous is a 400 naming the path, and nothing is stored.
        for (String refused : List.of("a//b", "a%2Fb", "%2e%2e/b", "a%5Cb", "%FF")) {
            WireClient.Answer answer = wirePut(token, refused);
            assertThat(answer.status()).as(refused).isEqualTo(400);
            assertThat(NodeClient.JSON.readTree(answer.body()).path("error").path("field").asText()).isEqualTo("path");
        }
        assertThat(get("s", "a/b").text()).isEqualTo("slash");
        assertThat(client.get("/v1/kv/s").json().path("keys").asLong()).isEqualTo(6);
    }

    /** A put on a connection of its own: a refused request's connection is not used again. */
    private WireClient.Answer wirePut(String token, String rawKey) throws IOException {
        try (var wire = new WireClient(node.port())) {
            wire.send("PUT /v1/kv/s/keys/" + rawKey + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz");
            return wire.read();
        }
    }
}
