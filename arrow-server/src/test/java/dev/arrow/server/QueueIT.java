package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue API on a real node: send, receive, delete, long polls, visibility, dead letters, bad input, metrics. */
class QueueIT {

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

    private NodeClient.Reply send(String queue, byte[] body) throws Exception {
        return client.call("POST", "/v1/queues/" + queue + "/messages", OCTETS, body, Map.of());
    }

    private NodeClient.Reply send(String queue, String body) throws Exception {
        return send(queue, body.getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode receive(String queue, String json) throws Exception {
        NodeClient.Reply reply = client.postJson("/v1/queues/" + queue + "/receive", json);
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        return reply.json().path("messages");
    }

    private NodeClient.Reply deleteMessage(String queue, String handle) throws Exception {
        return client.postJson("/v1/queues/" + queue + "/delete", "{\"receiptHandle\":\"" + handle + "\"}");
    }

    private JsonNode info(String queue) throws Exception {
        NodeClient.Reply reply = client.get("/v1/queues/" + queue);
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        return reply.json();
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
    void sendReceiveAndDelete() throws Exception {
        NodeClient.Reply sent = send("jobs", "hello queue");
        assertThat(sent.status()).as(sent.text()).isEqualTo(201);
        String id = sent.json().path("id").asText();
        assertThat(id).isNotBlank();
        JsonNode made = info("jobs");
        assertThat(made.path("visible").asLong()).isEqualTo(1);
        assertThat(made.path("visibilityTimeout").asLong()).isEqualTo(30_000);
        assertThat(made.path("oldestMessageAge").isNumber()).isTrue();
        assertThat(client.get("/v1/queues").json().path("queues").get(0).path("name").asText()).isEqualTo("jobs");

        JsonNode messages = receive("jobs", "{\"maxMessages\":10}");
        assertThat(messages).hasSize(1);
        JsonNode message = messages.get(0);
        assertThat(message.path("id").asText()).isEqualTo(id);
        assertThat(message.path("body").asText()).isEqualTo("hello queue");
        assertThat(Base64.getDecoder().decode(message.path("bodyBase64").asText()))
                .isEqualTo("hello queue".getBytes(StandardCharsets.UTF_8));
        assertThat(message.path("receiveCount").asInt()).isEqualTo(1);
        assertThat(message.path("sentAt").asText()).isNotBlank();
        assertThat(message.path("firstReceivedAt").asText()).isNotBlank();
        JsonNode inFlight = info("jobs");
        assertThat(inFlight.path("visible").asLong()).isZero();
        assertThat(inFlight.path("inFlight").asLong()).isEqualTo(1);
        assertThat(receive("jobs", "")).isEmpty();

        String handle = message.path("receiptHandle").asText();
        assertThat(deleteMessage("jobs", handle).status()).isEqualTo(204);
        assertThat(deleteMessage("jobs", handle).status()).as("a retried delete").isEqualTo(204);
        JsonNode empty = info("jobs");
        assertThat(empty.path("visible").asLong() + empty.path("inFlight").asLong() + empty.path("delayed").asLong())
                .isZero();
        assertThat(empty.path("oldestMessageAge").isNull()).isTrue();

        // Bytes that are not UTF-8 come as base64 only; the query takes the receive's options too.
        byte[] binary = {(byte) 0xff, 0, (byte) 0xfe};
        assertThat(send("jobs", binary).status()).isEqualTo(201);
        JsonNode raw = client.call("POST", "/v1/queues/jobs/receive?maxMessages=2&waitTime=1s", null, null, Map.of())
                .json().path("messages").get(0);
        assertThat(raw.has("body")).isFalse();
        assertThat(Base64.getDecoder().decode(raw.path("bodyBase64").asText())).isEqualTo(binary);

        // A delayed send is not received before its delay ends.
        NodeClient.Reply delayed = client.call("POST", "/v1/queues/later/messages?delay=10m", OCTETS,
                "x".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(delayed.status()).isEqualTo(201);
        assertThat(info("later").path("delayed").asLong()).isEqualTo(1);
        assertThat(receive("later", "")).isEmpty();

        assertThat(client.delete("/v1/queues/later").status()).isEqualTo(204);
        assertError(client.get("/v1/queues/later"), 404, "not_found", null);
        assertError(client.postJson("/v1/queues/later/receive", "{}"), 404, "not_found", null);
    }

    @Test
    void aLongPollIsAnsweredWhenASendArrives() throws Exception {
        assertThat(client.call("PUT", "/v1/queues/waits", null, null, Map.of()).status()).isEqualTo(201);
        long start = System.nanoTime();
        CompletableFuture<JsonNode> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return receive("waits", "{\"waitTime\":\"15s\"}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(500);
        assertThat(polled).isNotDone();
        assertThat(send("waits", "wake up").status()).isEqualTo(201);
        JsonNode messages = polled.get(10, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).path("body").asText()).isEqualTo("wake up");

        // A wait with nothing sent ends empty at its end.
        long quiet = System.nanoTime();
        assertThat(receive("waits", "{\"waitTime\":1000}")).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - quiet)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    }

    @Test
    void aMessageNotDeletedComesAgainAndItsOldHandleIsStale() throws Exception {
        assertThat(send("retries", "work").status()).isEqualTo(201);
        JsonNode first = receive("retries", "{\"visibilityTimeout\":\"1s\"}").get(0);
        assertThat(first.path("receiveCount").asInt()).isEqualTo(1);
        assertThat(receive("retries", "")).as("in flight").isEmpty();

        JsonNode again = receive("retries", "{\"waitTime\":\"10s\"}").get(0);
        assertThat(again.path("id").asText()).isEqualTo(first.path("id").asText());
        assertThat(again.path("receiveCount").asInt()).isEqualTo(2);
        assertThat(again.path("firstReceivedAt").asText()).isEqualTo(first.path("firstReceivedAt").asText());

        assertError(deleteMessage("retries", first.path("receiptHandle").asText()), 400, "receipt_handle_invalid",
                "receiptHandle");
        assertError(client.postJson("/v1/queues/retries/visibility", "{\"receiptHandle\":\""
                + first.path("receiptHandle").asText() + "\",\"visibilityTimeout\":0}"), 400, "receipt_handle_invalid",
                "receiptHandle");
        assertThat(info("retries").path("inFlight").asLong()).isEqualTo(1);

        // A change of visibility to 0 gives it back at once.
        NodeClient.Reply changed = client.postJson("/v1/queues/retries/visibility", "{\"receiptHandle\":\""
                + again.path("receiptHandle").asText() + "\",\"visibilityTimeout\":\"0s\"}");
        assertThat(changed.status()).as(changed.text()).isEqualTo(204);
        JsonNode third = receive("retries", "").get(0);
        assertThat(third.path("receiveCount").asInt()).isEqualTo(3);
        assertThat(deleteMessage("retries", third.path("receiptHandle").asText()).status()).isEqualTo(204);
    }

    @Test
    void overReceivedMessagesGoToTheDeadLetterQueueAndRedriveBack() throws Exception {
        NodeClient.Reply made = client.call("PUT", "/v1/queues/orders", "application/json",
                "{\"visibilityTimeout\":0,\"maxReceiveCount\":2,\"deadLetterQueue\":\"orders-dlq\",\"retention\":\"1h\"}"
                        .getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        assertThat(made.json().path("deadLetterQueue").asText()).isEqualTo("orders-dlq");
        assertThat(made.json().path("retention").asLong()).isEqualTo(3_600_000);
        NodeClient.Reply again = client.call("PUT", "/v1/queues/orders", "application/json",
                "{\"visibilityTimeout\":\"0s\",\"maxReceiveCount\":2,\"deadLetterQueue\":\"orders-dlq\",\"retention\":\"60m\"}"
                        .getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(again.status()).as("the same options: a retry").isEqualTo(200);
        assertError(client.call("PUT", "/v1/queues/orders", "application/json",
                "{\"maxMessages\":5}".getBytes(StandardCharsets.UTF_8), Map.of()), 409, "store_exists", null);

        assertThat(send("orders", "poison").status()).isEqualTo(201);
        assertThat(receive("orders", "").get(0).path("receiveCount").asInt()).isEqualTo(1);
        assertThat(receive("orders", "").get(0).path("receiveCount").asInt()).isEqualTo(2);
        assertThat(receive("orders", "")).as("the third receive moves it instead").isEmpty();
        assertThat(info("orders").path("visible").asLong()).isZero();
        assertThat(info("orders-dlq").path("visible").asLong()).isEqualTo(1);

        NodeClient.Reply redriven = client.postJson("/v1/queues/orders-dlq/redrive", "");
        assertThat(redriven.status()).as(redriven.text()).isEqualTo(200);
        assertThat(redriven.json().path("moved").asLong()).isEqualTo(1);
        assertThat(info("orders-dlq").path("visible").asLong()).isZero();
        JsonNode back = receive("orders", "").get(0);
        assertThat(back.path("body").asText()).isEqualTo("poison");
    }

    @Test
    void purgeEmptiesAQueue() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(send("batch", "m" + i).status()).isEqualTo(201);
        }
        receive("batch", "");
        NodeClient.Reply purged = client.postJson("/v1/queues/batch/purge", "");
        assertThat(purged.status()).as(purged.text()).isEqualTo(200);
        assertThat(purged.json().path("purged").asLong()).isEqualTo(3);
        JsonNode after = info("batch");
        assertThat(after.path("visible").asLong() + after.path("inFlight").asLong()).isZero();
        assertThat(receive("batch", "")).isEmpty();
        assertError(client.postJson("/v1/queues/nothing/purge", ""), 404, "not_found", null);
    }

    @Test
    void badInputIsA4xxNamingTheFieldAndStoresNothing() throws Exception {
        assertThat(send("q", "original").status()).isEqualTo(201);
        JsonNode before = info("q");

        assertError(send("Bad_Name", "x"), 400, "invalid_input", "queue");
        assertError(send("q", new byte[0]), 400, "invalid_input", "body");
        assertError(send("q", new byte[256 * 1024 + 1]), 413, "payload_too_large", "body");
        assertError(send("big", new byte[256 * 1024 + 1]), 413, "payload_too_large", "body");
        assertError(client.call("POST", "/v1/queues/q/messages?delay=16m", OCTETS, new byte[1], Map.of()), 400,
                "invalid_input", "delay");
        assertError(client.call("POST", "/v1/queues/q/messages?delay=soon", OCTETS, new byte[1], Map.of()), 400,
                "invalid_input", "delay");
        assertError(client.postJson("/v1/queues/q/receive", "{\"maxMessages\":11}"), 400, "invalid_input",
                "maxMessages");
        assertError(client.postJson("/v1/queues/q/receive", "{\"maxMessages\":0}"), 400, "invalid_input",
                "maxMessages");
        assertError(client.postJson("/v1/queues/q/receive", "{\"waitTime\":\"21s\"}"), 400, "invalid_input",
                "waitTime");
        assertError(client.postJson("/v1/queues/q/receive", "{\"visibilityTimeout\":\"13h\"}"), 400, "invalid_input",
                "visibilityTimeout");
        assertError(client.postJson("/v1/queues/q/receive", "{\"wait\":1}"), 400, "invalid_input", "wait");
        assertError(client.postJson("/v1/queues/q/delete", "{}"), 400, "invalid_input", "receiptHandle");
        assertError(client.postJson("/v1/queues/q/delete", "{\"receiptHandle\":\"not-a-handle\"}"), 400,
                "receipt_handle_invalid", "receiptHandle");
        for (String[] options : new String[][] {{"{\"retention\":\"10s\"}", "retention"},
                {"{\"maxReceiveCount\":3}", "deadLetterQueue"}, {"{\"deadLetterQueue\":\"Bad\",\"maxReceiveCount\":1}",
                "deadLetterQueue"}, {"{\"maxMessageBytes\":\"1m\"}", "maxMessageBytes"},
                {"{\"maxMessages\":0}", "maxMessages"}, {"{\"delay\":\"1h\"}", "delay"},
                {"{\"visibilityTimeout\":\"1d\"}", "visibilityTimeout"}, {"{\"visibility\":1}", "visibility"}}) {
            assertError(client.call("PUT", "/v1/queues/new-queue", "application/json",
                    options[0].getBytes(StandardCharsets.UTF_8), Map.of()), 400, "invalid_input", options[1]);
        }

        JsonNode after = info("q");
        assertThat(after.path("visible")).isEqualTo(before.path("visible"));
        assertThat(after.path("inFlight").asLong()).isZero();
        assertThat(client.get("/v1/queues").json().path("queues")).hasSize(1);
        assertThat(receive("q", "").get(0).path("body").asText()).isEqualTo("original");
    }

    @Test
    void theMetricsHaveEachQueuesFigures() throws Exception {
        assertThat(send("metered", "a").status()).isEqualTo(201);
        assertThat(send("metered", "b").status()).isEqualTo(201);
        receive("metered", "");
        String metrics = client.get("/metrics").text();
        assertThat(metrics).contains("arrow_queue_messages{queue=\"metered\",state=\"visible\"} 1.0")
                .contains("arrow_queue_messages{queue=\"metered\",state=\"inflight\"} 1.0")
                .contains("arrow_queue_messages{queue=\"metered\",state=\"delayed\"} 0.0")
                .contains("arrow_queue_oldest_message_age_seconds{queue=\"metered\"}")
                .contains("arrow_queue_depth ");
        assertThat(send("later", "c").status()).isEqualTo(201);
        assertThat(client.get("/metrics").text()).contains("arrow_queue_messages{queue=\"later\",state=\"visible\"} 1.0");
        assertThat(client.delete("/v1/queues/later").status()).isEqualTo(204);
        assertThat(client.get("/metrics").text()).doesNotContain("queue=\"later\"");
    }
}
