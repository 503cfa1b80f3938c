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

/** {@code arrow kv ...} in this JVM, against a canned node. */
class KvCommandsTest {

    private static final Instant NOW = Instant.parse("2026-01-02T00:00:00Z");
    private static final String WRITTEN = "{\"store\":\"config\",\"key\":\"db/url\",\"revision\":3}";

    @TempDir
    Path dir;

    private final FakeNode node;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>();
    private byte[] stdin = new byte[0];

    KvCommandsTest() throws IOException {
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
    void putSendsTheValueWithItsConditionsAndPrintsTheRevision() {
        node.answerJson("PUT /v1/kv/config/keys/db/url", 201, WRITTEN);

        assertThat(arrow("kv", "put", "config", "db/url", "postgres://db")).as(err()).isZero();
        assertThat(out()).isEqualTo("config/db/url revision 3\n");
        assertThat(node.last().method()).isEqualTo("PUT");
        assertThat(node.last().bodyText()).isEqualTo("postgres://db");
        assertThat(node.last().header("If-Match")).isNull();
        assertThat(node.last().header("If-None-Match")).isNull();

        assertThat(arrow("kv", "put", "config", "db/url", "v", "--if-revision", "2")).as(err()).isZero();
        assertThat(node.last().header("If-Match")).isEqualTo("\"2\"");
        assertThat(arrow("kv", "put", "config", "db/url", "v", "--create-only")).as(err()).isZero();
        assertThat(node.last().header("If-None-Match")).isEqualTo("*");
    }

    @Test
    void putWithATtlSendsItAndPrintsTheExpiry() {
        node.answerJson("PUT /v1/kv/s/keys/k?ttl=90000ms", 201,
                "{\"store\":\"s\",\"key\":\"k\",\"revision\":1,\"expiresAt\":\"2026-01-02T00:01:30Z\"}");
        assertThat(arrow("kv", "put", "s", "k", "v", "--ttl", "1.5m")).as(err()).isZero();
        assertThat(out()).isEqualTo("s/k revision 1, expires at 2026-01-02T00:01:30Z\n");
    }

    @Test
    void putReadsAFileOrStdin() throws IOException {
        node.answerJson("PUT /v1/kv/s/keys/k", 201, WRITTEN);
        byte[] binary = {0, 1, 2, (byte) 0xff};
        Files.write(dir.resolve("value.bin"), binary);
        assertThat(arrow("kv", "put", "s", "k", "@" + dir.resolve("value.bin"))).as(err()).isZero();
        assertThat(node.last().body()).isEqualTo(binary);

        stdin = "from stdin".getBytes(StandardCharsets.UTF_8);
        assertThat(arrow("kv", "put", "s", "k", "-")).as(err()).isZero();
        assertThat(node.last().bodyText()).isEqualTo("from stdin");
    }

    @Test
    void putUsageErrorsSendNothing() throws IOException {
        assertThat(arrow("kv", "put", "s", "k", "v", "--create-only", "--if-revision", "3")).isEqualTo(125);
        assertThat(err()).contains("exclude each other");
        assertThat(arrow("kv", "put", "s", "k", "@" + dir.resolve("missing"))).isEqualTo(125);
        Files.write(dir.resolve("big"), new byte[(1 << 20) + 1]);
        assertThat(arrow("kv", "put", "s", "k", "@" + dir.resolve("big"))).isEqualTo(125);
        assertThat(err()).contains("at most 1048576 bytes");
        assertThat(arrow("kv", "put", "s", "k", "v", "--ttl", "soon")).isEqualTo(125);
        assertThat(arrow("kv", "put", "s", "k")).isEqualTo(125);
        assertThat(node.requests()).isEmpty();
    }

    @Test
    void aFailedConditionAndAFullStoreAreRejections() {
        node.answer("PUT /v1/kv/s/keys/k", Answer.error(412, "precondition_failed",
                "the key 'k' in the kv store 's' is at revision 4, not 3"));
        assertThat(arrow("kv", "put", "s", "k", "v", "--if-revision", "3")).isEqualTo(2);
        assertThat(err()).isEqualTo("arrow: the key 'k' in the kv store 's' is at revision 4, not 3\n");

        node.answer("PUT /v1/kv/s/keys/k", Answer.error(429, "too_many_keys", "the kv store 's' holds its maximum"));
        err.reset();
        assertThat(arrow("kv", "put", "s", "k", "v")).isEqualTo(2);
        assertThat(err()).isEqualTo("arrow: the kv store 's' holds its maximum\n");
    }

    @Test
    void getWritesTheValueAsItIs() {
        byte[] value = {'h', 'i', 0, (byte) 0xfe};
        node.answer("GET /v1/kv/s/keys/a%20b/c", new Answer(200, value, "application/octet-stream", Map.of("ETag", "\"7\"")));

        assertThat(arrow("kv", "get", "s", "a b/c", "--revision")).as(err()).isZero();
        assertThat(out.toByteArray()).isEqualTo(value);
        assertThat(err()).isEqualTo("revision 7\n");

        out.reset();
        assertThat(arrow("kv", "get", "s", "a b/c", "--json")).as(err()).isZero();
        assertThat(out()).contains("\"revision\" : 7").contains("\"valueBase64\" : \"aGkA/g==\"");
    }

    @Test
    void getOfAMissingKeyIsNotFound() {
        assertThat(arrow("kv", "get", "s", "nope")).isEqualTo(3);
        assertThat(err()).startsWith("arrow: ");
    }

    @Test
    void lsFollowsTheCursorsAndStopsAtTheLimit() {
        node.answerJson("GET /v1/kv/s/keys?prefix=user%2F&limit=1000", 200, """
                {"keys":[{"key":"user/a","revision":1,"size":2048,"modifiedAt":"2026-01-01T23:59:00Z"},
                         {"key":"user/b","revision":5,"size":3,"modifiedAt":"2026-01-01T22:00:00Z",
                          "expiresAt":"2026-01-02T00:05:00Z"}],"next":"dXNlci9i"}""")
                .answerJson("GET /v1/kv/s/keys?prefix=user%2F&limit=1000&cursor=dXNlci9i", 200, """
                {"keys":[{"key":"user/c","revision":9,"size":0,"modifiedAt":"2026-01-01T23:59:59Z"}],"next":null}""")
                .answerJson("GET /v1/kv/s/keys?prefix=user%2F&limit=2", 200, """
                {"keys":[{"key":"user/a","revision":1,"size":2048,"modifiedAt":"2026-01-01T23:59:00Z"},
                         {"key":"user/b","revision":5,"size":3,"modifiedAt":"2026-01-01T22:00:00Z"}],"next":"dXNlci9i"}""");

        assertThat(arrow("kv", "ls", "s", "--prefix", "user/")).as(err()).isZero();
        assertThat(out()).isEqualTo("""
                KEY     REVISION  SIZE  MODIFIED  EXPIRES
                user/a         1  2KiB  1m ago    -
                user/b         5    3B  2h ago    in 5m
                user/c         9    0B  1s ago    -
                """);

        out.reset();
        assertThat(arrow("kv", "ls", "s", "--prefix", "user/", "--limit", "2", "--json")).as(err()).isZero();
        assertThat(out()).contains("user/b").doesNotContain("user/c");
        assertThat(node.requests()).hasSize(3);
    }

    @Test
    void rmAndStores() {
        node.answer("DELETE /v1/kv/s/keys/k", new Answer(204, new byte[0], null, Map.of()))
                .answerJson("GET /v1/kv", 200, """
                        {"stores":[{"name":"config","maxBytes":67108864,"maxKeys":100000,"bytes":1536,"keys":12,
                                    "revision":40,"createdAt":"2026-01-01T00:00:00Z"}]}""");

        assertThat(arrow("kv", "rm", "s", "k", "--if-revision", "4")).as(err()).isZero();
        assertThat(out()).isEqualTo("deleted s/k\n");
        assertThat(node.last().header("If-Match")).isEqualTo("\"4\"");

        out.reset();
        assertThat(arrow("kv", "stores")).as(err()).isZero();
        assertThat(out()).isEqualTo("""
                STORE   KEYS  MAX KEYS   BYTES  MAX BYTES  REVISION  CREATED
                config    12    100000  1.5KiB      64MiB        40  1d ago
                """);
    }

    @Test
    void kvAloneIsAUsageError() {
        assertThat(arrow("kv")).isEqualTo(125);
        assertThat(err()).contains("give a kv command");
        assertThat(arrow("kv", "bogus")).isEqualTo(125);
    }
}
