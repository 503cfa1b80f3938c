package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.nio.charset.StandardCharsets;
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

/** Queue triggers on a real node: batches to an exec arrow (python3), partial failures, dead letters, a flood. */
class QueueTriggerIT {

    /** Fails the records whose body starts with "bad" (Lambda's batchItemFailures), takes the rest. */
    private static final String PARTIAL = """
            import json, sys
            event = json.load(sys.stdin)
            for r in event["Records"]:
                print(r["body"], r["attributes"]["ApproximateReceiveCount"], file=sys.stderr)
            failed = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"].startswith("bad")]
            print(json.dumps({"batchItemFailures": failed}))
            """;

    /** The same arrow with its bug fixed: every message succeeds. */
    private static final String FIXED = """
            import json, sys
            event = json.load(sys.stdin)
            for r in event["Records"]:
                print(r["body"], r["attributes"]["ApproximateReceiveCount"], file=sys.stderr)
            print(json.dumps({"batchItemFailures": []}))
            """;

    /** Takes its one message slowly. */
    private static final String SLOW = """
            import json, sys, time
            event = json.load(sys.stdin)
            assert len(event["Records"]) == 1
            time.sleep(0.4)
            """;

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

    private NodeClient.Reply deploy(String name, String script, String queue, String trigger, String scaling)
            throws Exception {
        ObjectNode spec = NodeClient.JSON.createObjectNode();
        spec.put("name", name);
        spec.putArray("command").add("/usr/bin/python3").add("-c").add(script);
        spec.putObject("bindings").putArray("queues").add(queue);
        spec.set("triggers", NodeClient.JSON.readTree(trigger));
        if (scaling != null) {
            spec.set("scaling", NodeClient.JSON.readTree(scaling));
        }
        return client.deploy(spec.toString());
    }

    private void send(String queue, String body) throws Exception {
        NodeClient.Reply sent = client.call("POST", "/v1/queues/" + queue + "/messages", "application/octet-stream",
                body.getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(sent.status()).as(sent.text()).isEqualTo(201);
    }

    private JsonNode info(String queue) throws Exception {
        NodeClient.Reply reply = client.get("/v1/queues/" + queue);
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        return reply.json();
    }

    private static long messages(JsonNode info) {
        return info.path("visible").asLong() + info.path("inFlight").asLong() + info.path("delayed").asLong();
    }

    private List<JsonNode> invocations(String arrow) throws Exception {
        var out = new ArrayList<JsonNode>();
        client.get("/v1/invocations?arrow=" + arrow + "&limit=1000").json().path("invocations").forEach(out::add);
        return out;
    }

    @Test
    void batchesRunTheArrowAndFailedMessagesComeBackThenGoToTheDeadLetterQueue() throws Exception {
        NodeClient.Reply made = client.call("PUT", "/v1/queues/jobs", "application/json",
                "{\"visibilityTimeout\":\"1s\",\"maxReceiveCount\":2,\"deadLetterQueue\":\"jobs-dead\"}"
                        .getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        for (String body : List.of("ok-1", "bad-1", "ok-2", "ok-3", "bad-2", "ok-4")) {
            send("jobs", body);
        }

        NodeClient.Reply deployed = deploy("worker", PARTIAL, "jobs", "[{\"queue\":\"jobs\",\"batchSize\":10}]", null);
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);

        // each bad message is received twice (maxReceiveCount), then its third receive dead-letters it
        await().atMost(Duration.ofSeconds(60)).until(() -> messages(info("jobs")) == 0
                && info("jobs-dead").path("visible").asLong() == 2);
        var dead = new ArrayList<String>();
        JsonNode letters = client.postJson("/v1/queues/jobs-dead/receive", "{\"maxMessages\":10}").json().path("messages");
        letters.forEach(m -> dead.add(m.path("body").asText()));
        assertThat(dead).containsExactlyInAnyOrder("bad-1", "bad-2");
        assertThat(letters.get(0).path("deadLetterSource").asText()).isEqualTo("jobs");

        List<JsonNode> runs = invocations("worker");
        assertThat(runs).hasSizeGreaterThanOrEqualTo(2);
        assertThat(runs).allSatisfy(run -> {
            assertThat(run.path("trigger").asText()).isEqualTo("queue");
            assertThat(run.path("status").asText()).isEqualTo("succeeded");
        });
        JsonNode trigger = client.get("/v1/triggers?arrow=worker").json().path("triggers").get(0);
        assertThat(trigger.path("kind").asText()).isEqualTo("queue");
        assertThat(trigger.path("deliveries").asLong()).isEqualTo(runs.size());
        assertThat(trigger.path("failures").asLong()).as("batches with a failed message").isPositive();
        assertThat(trigger.path("lastFiring").asText()).isNotEmpty();

        // the logs show what each batch held: the good ones once, the bad ones twice
        var lines = new ArrayList<String>();
        for (JsonNode run : runs) {
            String log = client.get("/v1/invocations/" + run.path("id").asText() + "/logs").text();
            log.lines().filter(line -> !line.isBlank()).forEach(lines::add);
        }
        assertThat(lines).containsExactlyInAnyOrder("ok-1 1", "ok-2 1", "ok-3 1", "ok-4 1", "bad-1 1", "bad-2 1",
                "bad-1 2", "bad-2 2");

        // the bug fixed, the dead letters redriven: they run again, and now succeed
        NodeClient.Reply fixed = deploy("worker", FIXED, "jobs", "[{\"queue\":\"jobs\",\"batchSize\":10}]", null);
        assertThat(fixed.status()).as(fixed.text()).isEqualTo(201);
        int before = runs.size();
        NodeClient.Reply redriven = client.call("POST", "/v1/queues/jobs-dead/redrive", "application/json", new byte[0], Map.of());
        assertThat(redriven.status()).as(redriven.text()).isEqualTo(200);
        assertThat(redriven.json().path("moved").asLong()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(60)).until(() -> messages(info("jobs")) == 0 && messages(info("jobs-dead")) == 0
                && invocations("worker").size() > before);
        List<JsonNode> again = invocations("worker").subList(0, invocations("worker").size() - before); // newest first
        var redone = new ArrayList<String>();
        for (JsonNode run : again) {
            assertThat(run.path("status").asText()).isEqualTo("succeeded");
            client.get("/v1/invocations/" + run.path("id").asText() + "/logs").text().lines()
                    .filter(line -> !line.isBlank()).forEach(redone::add);
        }
        assertThat(redone).containsExactlyInAnyOrder("bad-1 1", "bad-2 1");
    }

    @Test
    void aFloodWaitsInTheQueueWhileTheArrowRunsAtItsConcurrency() throws Exception {
        NodeClient.Reply deployed = deploy("slow", SLOW, "flood", "[{\"queue\":\"flood\"}]",
                "{\"maxInstances\":2}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        int flood = 16;
        for (int i = 0; i < flood; i++) {
            send("flood", "m" + i);
        }

        long mostVisible = 0;
        while (true) {
            JsonNode queue = info("flood");
            assertThat(queue.path("inFlight").asLong()).as("batches held at once").isLessThanOrEqualTo(2);
            mostVisible = Math.max(mostVisible, queue.path("visible").asLong());
            if (messages(queue) == 0) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(mostVisible).as("messages waiting in the queue").isPositive();

        await().until(() -> invocations("slow").size() == flood);
        List<JsonNode> runs = invocations("slow");
        assertThat(runs).allSatisfy(run -> {
            assertThat(run.path("trigger").asText()).isEqualTo("queue");
            assertThat(run.path("status").asText()).isEqualTo("succeeded");
        });
        assertThat(mostAtOnce(runs)).isLessThanOrEqualTo(2);
    }

    /** The most runs that overlapped in time, by their records' start and duration. */
    private static int mostAtOnce(List<JsonNode> runs) {
        var edges = new ArrayList<long[]>();
        for (JsonNode run : runs) {
            long start = Instant.parse(run.path("startedAt").asText()).toEpochMilli() * 1000;
            long end = start + (long) (run.path("durationMs").asDouble() * 1000);
            edges.add(new long[] {start, 1});
            edges.add(new long[] {end, -1});
        }
        edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int now = 0;
        int most = 0;
        for (long[] edge : edges) {
            now += (int) edge[1];
            most = Math.max(most, now);
        }
        return most;
    }

    @Test
    void badQueueTriggersAreRefusedNamingTheField() throws Exception {
        NodeClient.Reply unbound = client.deploy("{\"name\":\"w\",\"command\":[\"cat\"],"
                + "\"triggers\":[{\"queue\":\"jobs\"}]}");
        assertThat(unbound.status()).as(unbound.text()).isEqualTo(400);
        assertThat(unbound.json().path("error").path("field").asText()).isEqualTo("triggers[0].queue");

        for (String[] bad : new String[][] {
                {"{\"queue\":\"jobs\",\"batchSize\":11}", "triggers[0].batchSize"},
                {"{\"queue\":\"jobs\",\"batchWindow\":\"10m\"}", "triggers[0].batchWindow"},
                {"{\"queue\":\"jobs\",\"retry\":{\"attempts\":2}}", "triggers[0].retry"},
                {"{\"queue\":\"jobs\",\"size\":2}", "triggers[0].size"}}) {
            NodeClient.Reply reply = deploy("w", SLOW, "jobs", "[" + bad[0] + "]", null);
            assertThat(reply.status()).as(reply.text()).isEqualTo(400);
            assertThat(reply.json().path("error").path("field").asText()).as(reply.text()).isEqualTo(bad[1]);
        }
        assertThat(client.get("/v1/arrows/w").status()).isEqualTo(404);
    }
}
