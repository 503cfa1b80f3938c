package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.cli.client.FakeNode;
import dev.arrow.cli.client.FakeNode.Answer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code arrow bucket ...} in this JVM, against a canned node. */
class BucketCommandsTest {

    private static final Instant NOW = Instant.parse("2026-01-02T00:00:00Z");
    private static final String WRITTEN = "{\"bucket\":\"photos\",\"key\":\"2024/cat one.jpg\",\"size\":4,"
            + "\"etag\":\"08d6c05a21512a79a1dfeb9d2a8f262f\"}";

    @TempDir
    Path dir;

    private final FakeNode node;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>();
    private byte[] stdin = new byte[0];

    BucketCommandsTest() throws IOException {
        node = new FakeNode();
        env.put("ARROW_NODE", node.uri().toString());
        env.put("ARROW_TOKEN", FakeNode.TOKEN);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private int arrow(String... args) {
        var context = new CliContext(new ByteArrayInputStream(stdin), new PrintStream(out, true),
                new PrintStream(err, true), env, dir, false, Clock.fixed(NOW, ZoneOffset.UTC));
        return ArrowCli.run(context, args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void putSendsAFileOrStdinUnderItsKeyPath() throws IOException {
        node.answerJson("PUT /v1/buckets/photos/objects/2024/cat%20one.jpg", 200, WRITTEN);
        Files.write(dir.resolve("cat.jpg"), new byte[] {1, 2, 3, 4});
        assertThat(arrow("bucket", "put", "photos", "2024/cat one.jpg", dir.resolve("cat.jpg").toString(),
                "--content-type", "image/jpeg")).as(err()).isZero();
        assertThat(out()).isEqualTo("photos/2024/cat one.jpg " + Formats.size(4)
                + ", etag 08d6c05a21512a79a1dfeb9d2a8f262f\n");
        assertThat(node.last().body()).containsExactly(1, 2, 3, 4);
        assertThat(node.last().header("Content-Type")).isEqualTo("image/jpeg");

        stdin = "from stdin".getBytes(StandardCharsets.UTF_8);
        assertThat(arrow("bucket", "put", "photos", "2024/cat one.jpg", "-")).as(err()).isZero();
        assertThat(node.last().bodyText()).isEqualTo("from stdin");
        assertThat(arrow("bucket", "put", "photos", "k", dir.resolve("missing").toString())).isEqualTo(125);
    }

    @Test
    void getWritesTheBodyToStdoutOrAFile() throws IOException {
        byte[] body = {'h', 'i', 0, (byte) 0xfe};
        node.answer("GET /v1/buckets/b1b/objects/a/b", new Answer(200, body, "application/octet-stream",
                Map.of("ETag", "\"abc\"")));
        assertThat(arrow("bucket", "get", "b1b", "a/b")).as(err()).isZero();
        assertThat(out.toByteArray()).isEqualTo(body);

        Path file = dir.resolve("copy.bin");
        assertThat(arrow("bucket", "get", "b1b", "a/b", "-o", file.toString())).as(err()).isZero();
        assertThat(file).hasBinaryContent(body);
        assertThat(err()).contains("wrote 4 bytes");

        node.answer("GET /v1/buckets/b1b/objects/gone", Answer.error(404, "not_found", "no object named 'b1b/gone'"));
        assertThat(arrow("bucket", "get", "b1b", "gone", "-o", dir.resolve("gone").toString())).isEqualTo(3);
        assertThat(dir.resolve("gone")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.filter(f -> f.getFileName().toString().endsWith(".part")).toList())
                    .as("no partial download is left").isEmpty();
        }
    }

    @Test
    void lsListsBucketsOrFollowsAnObjectListingsPages() {
        node.answerJson("GET /v1/buckets", 200, "{\"buckets\":[{\"name\":\"photos\",\"createdAt\":"
                + "\"2026-01-01T23:00:00Z\",\"objects\":2,\"bytes\":2048}]}");
        assertThat(arrow("bucket", "ls")).as(err()).isZero();
        assertThat(out()).contains("BUCKET").contains("photos").contains("1h ago");

        node.answerInTurn("GET /v1/buckets/photos/objects?prefix=2024%2F&limit=1000",
                Answer.json(200, "{\"objects\":[{\"key\":\"2024/a\",\"size\":1,\"etag\":\"e1\",\"lastModified\":"
                        + "\"2026-01-01T23:59:00Z\",\"contentType\":\"text/plain\"}],\"nextCursor\":\"MjAyNC9h\"}"));
        node.answerJson("GET /v1/buckets/photos/objects?prefix=2024%2F&limit=1000&cursor=MjAyNC9h", 200,
                "{\"objects\":[{\"key\":\"2024/b\",\"size\":2,\"etag\":\"e2\",\"lastModified\":"
                        + "\"2026-01-01T23:59:00Z\",\"contentType\":\"image/png\"}]}");
        out.reset();
        assertThat(arrow("bucket", "ls", "photos", "--prefix", "2024/")).as(err()).isZero();
        assertThat(out()).contains("2024/a").contains("2024/b").contains("image/png").contains("e2");
        assertThat(arrow("bucket", "ls", "--prefix", "x")).isEqualTo(125);
    }

    @Test
    void createRmAndRmObjectSayWhatTheyDid() {
        node.answerJson("PUT /v1/buckets/logs", 201, "{\"name\":\"logs\",\"createdAt\":\"2026-01-01T00:00:00Z\","
                + "\"objects\":0,\"bytes\":0}");
        assertThat(arrow("bucket", "create", "logs")).as(err()).isZero();
        assertThat(out()).isEqualTo("created bucket logs\n");
        node.answer("DELETE /v1/buckets/logs", Answer.error(409, "bucket_not_empty",
                "the bucket 'logs' is not empty: delete its objects first"));
        assertThat(arrow("bucket", "rm", "logs")).isEqualTo(2);
        assertThat(err()).isEqualTo("arrow: the bucket 'logs' is not empty: delete its objects first\n");
        node.answer("DELETE /v1/buckets/logs/objects/a%20b", new Answer(204, new byte[0], "application/json", Map.of()));
        out.reset();
        assertThat(arrow("bucket", "rm-object", "logs", "a b")).as(err()).isZero();
        assertThat(out()).isEqualTo("deleted logs/a b\n");
    }
}
