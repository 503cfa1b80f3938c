package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.FakeNode;
import dev.arrow.cli.client.FakeNode.Answer;
import dev.arrow.cli.client.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code arrow keys ...} in this JVM, against a canned node. */
class KeysCommandsTest {

    private static final Instant NOW = Instant.parse("2026-01-02T00:00:00Z");
    private static final String ID = "AKARABCDEFGHIJ012345";
    private static final String SECRET = "abcdefghijABCDEFGHIJ0123456789+/abcdefgh";
    private static final String CREATED = "{\"accessKeyId\":\"" + ID + "\",\"secretAccessKey\":\"" + SECRET
            + "\",\"name\":\"ci\",\"createdAt\":\"2026-01-01T23:00:00Z\"}";

    @TempDir
    Path dir;

    private final FakeNode node;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>();

    KeysCommandsTest() throws IOException {
        node = new FakeNode();
        env.put("ARROW_NODE", node.uri().toString());
        env.put("ARROW_TOKEN", FakeNode.TOKEN);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private int arrow(String... args) {
        var context = new CliContext(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true),
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
    void createPrintsTheIdAndTheSecretOnce() throws IOException {
        node.answerJson("POST /v1/keys", 201, CREATED);

        assertThat(arrow("keys", "create", "ci")).as(err()).isZero();
        assertThat(out()).isEqualTo("access key id: " + ID + "\nsecret access key: " + SECRET + "\n");
        assertThat(err()).contains("not shown again");
        assertThat(node.last().method()).isEqualTo("POST");
        assertThat(node.last().header("Content-Type")).startsWith("application/json");
        assertThat(Json.parse(node.last().bodyText()).path("name").asText()).isEqualTo("ci");

        out.reset();
        assertThat(arrow("keys", "create")).as(err()).isZero();
        assertThat(Json.parse(node.last().bodyText()).has("name")).isFalse();
    }

    @Test
    void createWithJsonPrintsOneObject() throws IOException {
        node.answerJson("POST /v1/keys", 201, CREATED);

        assertThat(arrow("keys", "create", "--json")).as(err()).isZero();
        JsonNode printed = Json.parse(out());
        assertThat(printed.path("accessKeyId").asText()).isEqualTo(ID);
        assertThat(printed.path("secretAccessKey").asText()).isEqualTo(SECRET);
        assertThat(printed.path("name").asText()).isEqualTo("ci");
        assertThat(printed.path("createdAt").asText()).isEqualTo("2026-01-01T23:00:00Z");
    }

    @Test
    void aBadNameIsARejection() {
        node.answer("POST /v1/keys", Answer.error(400, "invalid_input", "a name is at most 64 characters, not 65"));
        assertThat(arrow("keys", "create", "x".repeat(65))).isEqualTo(2);
        assertThat(err()).contains("at most 64 characters");
        assertThat(out()).isEmpty();
    }

    @Test
    void lsPrintsATableWithoutSecrets() throws IOException {
        String list = "{\"keys\":[{\"accessKeyId\":\"" + ID + "\",\"name\":\"ci\",\"createdAt\":\"2026-01-01T23:00:00Z\"},"
                + "{\"accessKeyId\":\"AKAR00000000000000ZZ\",\"name\":null,\"createdAt\":\"2026-01-01T23:59:00Z\"}]}";
        node.answerJson("GET /v1/keys", 200, list);

        assertThat(arrow("keys", "ls")).as(err()).isZero();
        assertThat(out().lines().toList()).hasSize(3);
        assertThat(out().lines().findFirst().orElseThrow()).contains("ACCESS KEY ID", "NAME", "CREATED");
        assertThat(out()).contains(ID, "ci", "1h ago", "AKAR00000000000000ZZ");

        out.reset();
        assertThat(arrow("keys", "ls", "--json")).as(err()).isZero();
        assertThat(Json.parse(out())).isEqualTo(Json.parse(list));
    }

    @Test
    void rmDeletesAndAnUnknownIdIsNotFound() {
        node.answer("DELETE /v1/keys/" + ID, new Answer(204, new byte[0], null, Map.of()));
        assertThat(arrow("keys", "rm", ID)).as(err()).isZero();
        assertThat(out()).isEqualTo("deleted access key " + ID + "\n");

        node.answer("DELETE /v1/keys/AKAR0000000000000000", Answer.error(404, "not_found",
                "no access key named 'AKAR0000000000000000'"));
        assertThat(arrow("keys", "rm", "AKAR0000000000000000")).isEqualTo(3);
        assertThat(err()).contains("no access key named");
        assertThat(arrow("keys", "rm")).isEqualTo(125);
    }
}
