package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The buckets API on a real node: buckets, objects streamed both ways, ranges, listing, bad input. */
class BucketIT {

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

    private NodeClient.Reply put(String path, String type, String body) throws Exception {
        return client.call("PUT", path, type, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private static void assertError(NodeClient.Reply reply, int status, String code, String field) throws IOException {
        assertThat(reply.status()).as(reply.text()).isEqualTo(status);
        JsonNode error = reply.json().path("error");
        assertThat(error.path("code").asText()).as(reply.text()).isEqualTo(code);
        if (field != null) {
            assertThat(error.path("field").asText()).as(reply.text()).isEqualTo(field);
        }
    }

    @Test
    void objectsAreWrittenReadInRangesListedAndDeleted() throws Exception {
        NodeClient.Reply written = put("/v1/buckets/photos/objects/2024/cat%20one.txt", "text/plain", "hello world");
        assertThat(written.status()).as(written.text()).isEqualTo(200);
        assertThat(written.json().path("bucket").asText()).isEqualTo("photos");
        assertThat(written.json().path("key").asText()).isEqualTo("2024/cat one.txt");
        assertThat(written.json().path("size").asLong()).isEqualTo(11);
        assertThat(written.json().path("etag").asText()).isEqualTo("5eb63bbbe01eeed093cb22bb8f5acdc3");

        NodeClient.Reply read = client.get("/v1/buckets/photos/objects/2024/cat%20one.txt");
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.text()).isEqualTo("hello world");
        assertThat(read.header("Content-Type")).isEqualTo("text/plain");
        assertThat(read.header("ETag")).isEqualTo("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
        assertThat(read.header("Last-Modified")).endsWith("GMT");
        assertThat(read.header("Content-Length")).isEqualTo("11");

        NodeClient.Reply range = client.call("GET", "/v1/buckets/photos/objects/2024/cat%20one.txt", null, null,
                Map.of("Range", "bytes=6-"));
        assertThat(range.status()).isEqualTo(206);
        assertThat(range.text()).isEqualTo("world");
        assertThat(range.header("Content-Range")).isEqualTo("bytes 6-10/11");
        assertError(client.call("GET", "/v1/buckets/photos/objects/2024/cat%20one.txt", null, null,
                Map.of("Range", "bytes=11-")), 416, "range_not_satisfiable", null);

        NodeClient.Reply head = client.call("HEAD", "/v1/buckets/photos/objects/2024/cat%20one.txt", null, null, Map.of());
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("11");
        assertThat(head.body()).isEmpty();

        put("/v1/buckets/photos/objects/2024/dog.txt", null, "woof");
        put("/v1/buckets/photos/objects/2025/bird.txt", null, "tweet");
        JsonNode bucket = client.get("/v1/buckets").json().path("buckets").get(0);
        assertThat(bucket.path("name").asText()).isEqualTo("photos");
        assertThat(bucket.path("objects").asLong()).isEqualTo(3);
        assertThat(bucket.path("bytes").asLong()).isEqualTo(11 + 4 + 5);
        assertThat(bucket.path("createdAt").asText()).isNotBlank();

        JsonNode first = client.get("/v1/buckets/photos/objects?prefix=2024%2F&limit=1").json();
        assertThat(first.path("objects")).hasSize(1);
        JsonNode object = first.path("objects").get(0);
        assertThat(object.path("key").asText()).isEqualTo("2024/cat one.txt");
        assertThat(object.path("size").asLong()).isEqualTo(11);
        assertThat(object.path("contentType").asText()).isEqualTo("text/plain");
        assertThat(object.path("lastModified").asText()).isNotBlank();
        JsonNode second = client.get("/v1/buckets/photos/objects?prefix=2024%2F&limit=1&cursor="
                + first.path("nextCursor").asText()).json();
        assertThat(second.path("objects").get(0).path("key").asText()).isEqualTo("2024/dog.txt");
        assertThat(second.path("objects").get(0).path("contentType").asText()).isEqualTo("application/octet-stream");
        assertThat(second.has("nextCursor")).isFalse();

        assertError(client.delete("/v1/buckets/photos"), 409, "bucket_not_empty", null);
        for (String key : List.of("2024/cat%20one.txt", "2024/dog.txt", "2025/bird.txt")) {
            assertThat(client.delete("/v1/buckets/photos/objects/" + key).status()).isEqualTo(204);
        }
        assertError(client.get("/v1/buckets/photos/objects/2024/dog.txt"), 404, "not_found", null);
        NodeClient.Reply missingHead = client.call("HEAD", "/v1/buckets/photos/objects/2024/dog.txt", null, null, Map.of());
        assertThat(missingHead.status()).isEqualTo(404);
        assertThat(missingHead.body()).isEmpty();
        assertThat(client.get("/healthz").status()).as("the connection after a HEAD still serves").isEqualTo(200);
        assertThat(client.delete("/v1/buckets/photos").status()).isEqualTo(204);
        assertError(client.delete("/v1/buckets/photos"), 404, "not_found", null);
        assertThat(client.get("/v1/buckets").json().path("buckets")).isEmpty();
    }

    @Test
    void bucketsAreMadeOnceAndNamedAsS3Names() throws Exception {
        assertThat(client.call("PUT", "/v1/buckets/logs", null, null, Map.of()).status()).isEqualTo(201);
        assertThat(client.call("PUT", "/v1/buckets/logs", null, null, Map.of()).status()).isEqualTo(200);
        assertError(client.call("PUT", "/v1/buckets/Bad_Name", null, null, Map.of()), 400, "invalid_input", "bucket");
        assertError(client.call("PUT", "/v1/buckets/ab", null, null, Map.of()), 400, "invalid_input", "bucket");
        assertError(put("/v1/buckets/192.168.0.1/objects/k", null, "x"), 400, "invalid_input", "bucket");
        assertError(client.get("/v1/buckets/missing/objects"), 404, "not_found", null);
        assertError(client.get("/v1/buckets/logs/objects?limit=0"), 400, "invalid_input", "limit");
        assertError(client.get("/v1/buckets/logs/objects?cursor=%21%21"), 400, "invalid_input", "cursor");
    }

    @Test
    void badKeysAreRefusedAndNothingIsStored() throws Exception {
        // A '..' segment, spelled out or encoded: refused by the node's path rules or the key's.
        assertThat(put("/v1/buckets/logs/objects/a/%2E%2E/b", null, "x").status()).isEqualTo(400);
        assertError(put("/v1/buckets/logs/objects/" + "k".repeat(1025), null, "x"), 400, "invalid_input", "key");
        assertThat(client.get("/v1/buckets").json().path("buckets")).isEmpty();
        try (Stream<Path> files = Files.walk(home.resolve("objects"))) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void aLargeObjectStreamsThroughWhole() throws Exception {
        byte[] body = new byte[20 << 20];
        new java.util.Random(1).nextBytes(body);
        NodeClient.Reply written = client.call("PUT", "/v1/buckets/big/objects/blob.bin", "application/x-blob", body,
                Map.of());
        assertThat(written.status()).as(written.text()).isEqualTo(200);
        NodeClient.Reply read = client.get("/v1/buckets/big/objects/blob.bin");
        assertThat(read.body()).isEqualTo(body);
        var names = new ArrayList<String>();
        try (Stream<Path> files = Files.walk(home.resolve("objects"))) {
            files.filter(Files::isRegularFile).forEach(f -> names.add(f.toString()));
        }
        assertThat(names).hasSize(1);
    }
}
