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

/** {@code arrow queue ...} in this JVM, against a canned node. */
class QueueCommandsTest {

    private static final Instant NOW = Instant.parse("2026-01-02T00:00:00Z");
    private static final String SENT = "{\"queue\":\"jobs\",\"id\":\"m-1\",\"sentAt\":\"2026-01-02T00:00:00Z\","
            + "\"visibleAt\":\"2026-01-02T00:00:00Z\"}";
    private static final Answer NO_CONTENT = new Answer(204, new byte[0], null, Map.of());

    @TempDir
    Path dir;

    private final FakeNode node;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>();
    private byte[] stdin = new byte[0];

    QueueCommandsTest() throws IOException {
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
    void sendSendsTheBodyAndPrintsTheId() throws IOException {
        node.answerJson("POST /v1/queues/jobs/messages", 201, SENT)
                .answerJson("POST /v1/queues/jobs/messages?delay=10000ms", 201, SENT);

        assertThat(arrow("queue", "send", "jobs", "hello")).as(err()).isZero();
        assertThat(out()).isEqualTo("m-1\n");
        assertThat(node.last().method()).isEqualTo("POST");
        assertThat(node.last().bodyText()).isEqualTo("hello");
        assertThat(node.last().header("Content-Type")).isEqualTo("application/octet-stream");

        assertThat(arrow("queue", "send", "jobs", "later", "--delay", "10s")).as(err()).isZero();
        assertThat(node.last().pathAndQuery()).isEqualTo("/v1/queues/jobs/messages?delay=10000ms");

        byte[] binary = {0, 1, 2, (byte) 0xff};
        Files.write(dir.resolve("m.bin"), binary);
        assertThat(arrow("queue", "send", "jobs", "@" + dir.resolve("m.bin"))).as(err()).isZero();
        assertThat(node.last().body()).isEqualTo(binary);
        stdin = "from stdin".getBytes(StandardCharsets.UTF_8);
        assertThat(arrow("queue", "send", "jobs", "-")).as(err()).isZero();
        assertThat(node.last().bodyText()).isEqualTo("from stdin");

        out.reset();
        assertThat(arrow("queue", "send", "jobs", "x", "--json")).as(err()).isZero();
        assertThat(out()).contains("\"id\" : \"m-1\"");
    }

    @Test
    void usageErrorsSendNothing() throws IOException {
        Files.write(dir.resolve("big"), new byte[256 * 1024 + 1]);
        assertThat(arrow("queue", "send", "jobs", "@" + dir.resolve("big"))).isEqualTo(125);
        assertThat(err()).contains("at most 262144 bytes");
        assertThat(arrow("queue", "send", "jobs", "")).isEqualTo(125);
        assertThat(arrow("queue", "send", "jobs", "@" + dir.resolve("missing"))).isEqualTo(125);
        assertThat(arrow("queue", "send", "jobs", "x", "--delay", "soon")).isEqualTo(125);
        assertThat(arrow("queue", "receive", "jobs", "--max", "11")).isEqualTo(125);
        assertThat(arrow("queue", "receive", "jobs", "--wait", "30s")).isEqualTo(125);
        assertThat(arrow("queue", "delete", "jobs")).isEqualTo(125);
        assertThat(node.requests()).isEmpty();
        err.reset();
        assertThat(arrow("queue")).isEqualTo(125);
        assertThat(err()).contains("give a queue command");
        assertThat(arrow("queue", "bogus")).isEqualTo(125);
    }

    @Test
    void receivePrintsTheBodiesAndTheirHandlesAndDeletesWhenAsked() throws IOException {
        node.answerJson("POST /v1/queues/jobs/receive", 200, """
                {"messages":[{"id":"m-1","body":"first","bodyBase64":"Zmlyc3Q=","receiptHandle":"h1","receiveCount":1,
                              "sentAt":"2026-01-01T23:59:00Z","firstReceivedAt":"2026-01-02T00:00:00Z"},
                             {"id":"m-2","bodyBase64":"AP8=","receiptHandle":"h2","receiveCount":3,
                              "sentAt":"2026-01-01T23:59:00Z","firstReceivedAt":"2026-01-01T23:59:30Z"}]}""")
                .answer("POST /v1/queues/jobs/delete", NO_CONTENT);

        assertThat(arrow("queue", "receive", "jobs", "--max", "2", "--wait", "5s", "--visibility", "1m")).as(err())
                .isZero();
        assertThat(out.toByteArray()).isEqualTo(new byte[] {'f', 'i', 'r', 's', 't', '\n', 0, (byte) 0xff, '\n'});
        assertThat(err()).isEqualTo("message m-1 receiveCount 1 receiptHandle h1\n"
                + "message m-2 receiveCount 3 receiptHandle h2\n");
        JsonNode asked = Json.parse(node.last().body());
        assertThat(asked.path("maxMessages").asInt()).isEqualTo(2);
        assertThat(asked.path("waitTime").asLong()).isEqualTo(5000);
        assertThat(asked.path("visibilityTimeout").asLong()).isEqualTo(60_000);
        assertThat(node.requests()).hasSize(1);

        out.reset();
        assertThat(arrow("queue", "receive", "jobs", "--delete", "--json")).as(err()).isZero();
        assertThat(out()).contains("\"receiptHandle\" : \"h2\"");
        assertThat(node.requests()).hasSize(4);
        assertThat(Json.parse(node.requests().get(2).body()).path("receiptHandle").asText()).isEqualTo("h1");
        assertThat(Json.parse(node.last().body()).path("receiptHandle").asText()).isEqualTo("h2");
        assertThat(Json.parse(node.requests().get(1).body()).has("visibilityTimeout")).isFalse();
    }

    @Test
    void anEmptyReceivePrintsNothing() {
        node.answerJson("POST /v1/queues/jobs/receive", 200, "{\"messages\":[]}");
        assertThat(arrow("queue", "receive", "jobs", "--delete")).as(err()).isZero();
        assertThat(out()).isEmpty();
        assertThat(err()).isEmpty();
        assertThat(node.requests()).hasSize(1);
    }

    @Test
    void deleteAndItsRefusals() throws IOException {
        node.answer("POST /v1/queues/jobs/delete", NO_CONTENT);
        assertThat(arrow("queue", "delete", "jobs", "aGFuZGxl")).as(err()).isZero();
        assertThat(out()).isEqualTo("deleted\n");
        assertThat(Json.parse(node.last().body()).path("receiptHandle").asText()).isEqualTo("aGFuZGxl");

        node.answer("POST /v1/queues/jobs/delete", Answer.error(400, "receipt_handle_invalid",
                "this receipt handle is stale"));
        assertThat(arrow("queue", "delete", "jobs", "old")).isEqualTo(2);
        assertThat(err()).isEqualTo("arrow: this receipt handle is stale\n");

        assertThat(arrow("queue", "delete", "nope", "h")).isEqualTo(3);

        node.answer("POST /v1/queues/jobs/messages", Answer.error(429, "queue_full", "the queue 'jobs' is full"));
        err.reset();
        assertThat(arrow("queue", "send", "jobs", "x")).as("waiting does not empty a queue").isEqualTo(2);
        assertThat(err()).isEqualTo("arrow: the queue 'jobs' is full\n");
    }

    @Test
    void lsPurgeAndRedrive() {
        node.answerJson("GET /v1/queues", 200, """
                {"queues":[{"name":"orders","visibilityTimeout":30000,"retention":345600000,"maxMessageBytes":262144,
                            "delay":0,"maxReceiveCount":3,"deadLetterQueue":"orders-dlq","maxMessages":100000,
                            "visible":12,"inFlight":2,"delayed":0,"oldestMessageAge":125000,
                            "createdAt":"2026-01-01T00:00:00Z"},
                           {"name":"orders-dlq","visibilityTimeout":30000,"retention":345600000,
                            "maxMessageBytes":262144,"delay":0,"maxMessages":100000,"visible":0,"inFlight":0,
                            "delayed":0,"oldestMessageAge":null,"createdAt":"2026-01-01T23:00:00Z"}]}""")
                .answerJson("POST /v1/queues/orders/purge", 200, "{\"queue\":\"orders\",\"purged\":14}")
                .answerJson("POST /v1/queues/orders-dlq/redrive", 200, "{\"queue\":\"orders-dlq\",\"moved\":3}");

        assertThat(arrow("queue", "ls")).as(err()).isZero();
        assertThat(out()).isEqualTo("""
                QUEUE       VISIBLE  IN FLIGHT  DELAYED  OLDEST  DEAD LETTERS        CREATED
                orders           12          2        0    2m5s  orders-dlq after 3  1d ago
                orders-dlq        0          0        0       -  -                   1h ago
                """);

        out.reset();
        assertThat(arrow("queue", "purge", "orders")).as(err()).isZero();
        assertThat(out()).isEqualTo("purged 14 messages from orders\n");
        out.reset();
        assertThat(arrow("queue", "redrive", "orders-dlq")).as(err()).isZero();
        assertThat(out()).isEqualTo("moved 3 messages from orders-dlq back to their queues\n");
        out.reset();
        assertThat(arrow("queue", "redrive", "orders-dlq", "--json")).as(err()).isZero();
        assertThat(out()).contains("\"moved\" : 3");
    }
}
