package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events on a real node: CloudEvents posted in each mode and delivered through filters to exec and
 * http arrows in real sandboxes, a reply chained on, failures retried then dead-lettered to a
 * queue and redriven, schedules firing (and the one missed run after a restart), an object put
 * with awscli firing a bucket trigger, arrows publishing through their socket, bad input refused.
 */
class EventsIT {

    /** Stores each event it gets, as structured JSON on stdin, in kv store "seen" under TYPE/ID. */
    private static final String RECORDER = """
            body=$(cat)
            key=$(printf %s "$body" | python3 -c 'import json,sys,urllib.parse; e=json.load(sys.stdin); print(urllib.parse.quote(e["type"]+"/"+e["id"]))')
            printf %s "$body" | curl -s -f -o /dev/null --unix-socket "$ARROW_API_SOCKET" \\
                -H "Authorization: Bearer $ARROW_TOKEN" -X PUT --data-binary @- "http://arrow/v1/kv/seen/keys/$key"
            """;

    /** An http arrow that answers each event in binary mode with a reply event saying what it got. */
    private static final String REPLIER = """
            import http.server, json, os
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    out = json.dumps({"gotId": self.headers.get("ce-id"), "gotType": self.headers.get("ce-type"),
                                      "gotSource": self.headers.get("ce-source"),
                                      "contentType": self.headers.get("Content-Type"),
                                      "gotData": json.loads(body) if body else None}).encode()
                    self.send_response(200)
                    self.send_header("ce-specversion", "1.0")
                    self.send_header("ce-id", "reply-" + self.headers.get("ce-id"))
                    self.send_header("ce-source", "/replier")
                    self.send_header("ce-type", "com.example.reply")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                def log_message(self, *args):
                    pass
            http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
            """;

    @TempDir
    Path home;

    @TempDir
    Path work;

    private Node node;
    private NodeClient client;

    @BeforeEach
    void start() throws Exception {
        startNode();
    }

    private void startNode() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(0)
                .withS3Listen(Optional.of(new NodeConfig.Listen("127.0.0.1", 0))));
        client = new NodeClient(node);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void anEventReachesAnExecAndAnHttpArrowThroughFiltersAndTheReplyIsDeliveredOn() throws Exception {
        deployExec("recorder", RECORDER, "{\"kv\":[\"seen\"]}", """
                [{"event": {"type": "com.example.order.created", "source": {"prefix": "/shop/"}}},
                 {"event": {"type": "com.example.reply"}}]""");
        ObjectNode replier = NodeClient.JSON.createObjectNode();
        replier.put("name", "replier").put("mode", "http");
        replier.putArray("command").add("python3").add("-c").add(REPLIER);
        replier.set("triggers", NodeClient.JSON.readTree("[{\"event\": {\"type\": \"com.example.order.created\"}}]"));
        NodeClient.Reply deployed = client.deploy(replier.toString());
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);

        // Binary mode: attributes in ce-* headers, the data as the body.
        NodeClient.Reply binary = client.call("POST", "/v1/events", "application/json",
                "{\"n\":1}".getBytes(StandardCharsets.UTF_8), Map.of("ce-specversion", "1.0", "ce-id", "o1",
                        "ce-source", "/shop/eu", "ce-type", "com.example.order.created"));
        assertThat(binary.status()).as(binary.text()).isEqualTo(202);
        JsonNode accepted = binary.json().path("events").get(0);
        assertThat(accepted.path("id").asText()).isEqualTo("o1");
        assertThat(accepted.path("stored").asBoolean()).isTrue();
        assertThat(accepted.path("deliveries").asInt()).isEqualTo(2);

        JsonNode seen = awaitKv("seen", "com.example.order.created/o1");
        assertThat(seen.path("specversion").asText()).isEqualTo("1.0");
        assertThat(seen.path("source").asText()).isEqualTo("/shop/eu");
        assertThat(seen.path("data").path("n").asInt()).isEqualTo(1);

        // The http arrow got it in binary mode and answered with an event, delivered on to the recorder.
        JsonNode reply = awaitKv("seen", "com.example.reply/reply-o1");
        assertThat(reply.path("source").asText()).isEqualTo("/replier");
        assertThat(reply.path("data").path("gotType").asText()).isEqualTo("com.example.order.created");
        assertThat(reply.path("data").path("gotSource").asText()).isEqualTo("/shop/eu");
        assertThat(reply.path("data").path("contentType").asText()).isEqualTo("application/json");
        assertThat(reply.path("data").path("gotData").path("n").asInt()).isEqualTo(1);

        // Structured mode, a source outside the recorder's prefix: the replier alone owes it.
        NodeClient.Reply structured = client.post("/v1/events", "application/cloudevents+json", """
                {"specversion":"1.0","id":"o2","source":"/elsewhere","type":"com.example.order.created","data":{"n":2}}
                """.getBytes(StandardCharsets.UTF_8));
        assertThat(structured.status()).as(structured.text()).isEqualTo(202);
        assertThat(structured.json().path("events").get(0).path("deliveries").asInt()).isEqualTo(1);

        // Batch mode, with a duplicate of o1 (same source and id): stored once.
        NodeClient.Reply batch = client.post("/v1/events", "application/cloudevents-batch+json", """
                [{"specversion":"1.0","id":"o3","source":"/shop/us","type":"com.example.order.created"},
                 {"specversion":"1.0","id":"o1","source":"/shop/eu","type":"com.example.order.created"}]
                """.getBytes(StandardCharsets.UTF_8));
        assertThat(batch.status()).as(batch.text()).isEqualTo(202);
        assertThat(batch.json().path("events").get(0).path("stored").asBoolean()).isTrue();
        assertThat(batch.json().path("events").get(1).path("stored").asBoolean()).isFalse();
        awaitKv("seen", "com.example.order.created/o3");

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode all = client.get("/v1/events?type=com.example.order.created").json().path("events");
            assertThat(all.findValuesAsText("status")).as(all.toString()).hasSize(5).allMatch("delivered"::equals);
        });
        JsonNode listed = client.get("/v1/events?type=com.example.order.created&source=/shop/eu").json().path("events");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("deliveries").findValuesAsText("arrow")).containsExactlyInAnyOrder("recorder", "replier");

        // Each delivery is an invocation made by an event.
        JsonNode invocations = client.get("/v1/invocations?arrow=recorder").json().path("invocations");
        assertThat(invocations.findValuesAsText("trigger")).isNotEmpty().allMatch("event"::equals);
    }

    @Test
    void eventsSentWithTheCloudEventsSdkInEachModeMatchEachFilterKind() throws Exception {
        Map<String, String> filters = new java.util.LinkedHashMap<>();
        filters.put("k-exact", "{\"exact\": {\"type\": \"com.shop.order.created\"}}");
        filters.put("k-prefix", "{\"prefix\": {\"source\": \"/shop/\"}}");
        filters.put("k-suffix", "{\"suffix\": {\"type\": \".deleted\"}}");
        filters.put("k-all", "{\"all\": [{\"exact\": {\"region\": \"us\"}}, {\"suffix\": {\"type\": \".created\"}}]}");
        filters.put("k-any", "{\"any\": [{\"exact\": {\"region\": \"eu\"}}, {\"exact\": {\"type\": \"com.other.ping\"}}]}");
        filters.put("k-not", "{\"not\": {\"prefix\": {\"type\": \"com.shop.\"}}}");
        for (var filter : filters.entrySet()) {
            deployExec(filter.getKey(), "cat > /dev/null", "{}", "[{\"event\": {\"filters\": [" + filter.getValue() + "]}}]");
        }
        var format = new io.cloudevents.jackson.JsonFormat();
        java.util.function.BiFunction<String, String[], io.cloudevents.CloudEvent> event = (id, attributes) -> {
            var builder = io.cloudevents.core.builder.CloudEventBuilder.v1().withId(id).withType(attributes[0])
                    .withSource(java.net.URI.create(attributes[1]));
            if (attributes.length > 2) {
                builder.withExtension("region", attributes[2]);
            }
            return builder.withDataContentType("application/json").withData("{\"x\":1}".getBytes(StandardCharsets.UTF_8)).build();
        };

        // Binary mode, written by the SDK's HTTP binding.
        var headers = new java.util.LinkedHashMap<String, String>();
        var body = new java.io.ByteArrayOutputStream();
        io.cloudevents.http.HttpMessageFactory.createWriter(headers::put, bytes -> body.writeBytes(bytes))
                .writeBinary(event.apply("e1", new String[] {"com.shop.order.created", "/shop/eu", "eu"}));
        String contentType = headers.remove("Content-Type");
        NodeClient.Reply binary = client.call("POST", "/v1/events", contentType, body.toByteArray(), headers);
        assertThat(binary.status()).as(binary.text()).isEqualTo(202);
        // Structured mode, the SDK's JSON format.
        NodeClient.Reply structured = client.post("/v1/events", "application/cloudevents+json",
                format.serialize(event.apply("e2", new String[] {"com.shop.order.deleted", "/shop/us", "us"})));
        assertThat(structured.status()).as(structured.text()).isEqualTo(202);
        // Batch mode: a JSON array of the SDK's structured events.
        var batch = NodeClient.JSON.createArrayNode();
        batch.add(NodeClient.JSON.readTree(format.serialize(event.apply("e3", new String[] {"com.other.ping", "/other"}))));
        batch.add(NodeClient.JSON.readTree(format.serialize(event.apply("e4", new String[] {"com.shop.order.created", "/shop/us", "us"}))));
        NodeClient.Reply batched = client.post("/v1/events", "application/cloudevents-batch+json",
                NodeClient.JSON.writeValueAsBytes(batch));
        assertThat(batched.status()).as(batched.text()).isEqualTo(202);

        Map<String, List<String>> expected = Map.of(
                "e1", List.of("k-any", "k-exact", "k-prefix"),
                "e2", List.of("k-prefix", "k-suffix"),
                "e3", List.of("k-any", "k-not"),
                "e4", List.of("k-all", "k-exact", "k-prefix"));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode events = client.get("/v1/events").json().path("events");
            assertThat(events).hasSize(4);
            for (JsonNode one : events) {
                JsonNode deliveries = one.path("deliveries");
                assertThat(deliveries.findValuesAsText("arrow")).as(one.toString())
                        .containsExactlyInAnyOrderElementsOf(expected.get(one.path("id").asText()));
                assertThat(deliveries.findValuesAsText("status")).as(one.toString()).allMatch("delivered"::equals);
            }
        });
    }

    @Test
    void triggersFollowDeploysRollbacksAndDeletes() throws Exception {
        deployExec("follower", "cat > /dev/null", "{}", "[{\"event\": {\"type\": \"t.one\"}}]");
        deployExec("follower", "cat > /dev/null", "{}", "[{\"event\": {\"type\": \"t.two\"}}]");
        assertThat(owed("t.one", "a")).isZero();
        assertThat(owed("t.two", "b")).isEqualTo(1);
        assertThat(client.postJson("/v1/arrows/follower/rollback", "{\"revision\": 1}").status()).isEqualTo(200);
        assertThat(owed("t.one", "c")).isEqualTo(1);
        assertThat(owed("t.two", "d")).isZero();
        JsonNode listed = client.get("/v1/triggers").json().path("triggers");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("trigger").path("event").path("type").asText()).isEqualTo("t.one");
        assertThat(client.delete("/v1/arrows/follower").status()).isEqualTo(204);
        assertThat(owed("t.one", "e")).isZero();
        assertThat(client.get("/v1/triggers").json().path("triggers")).isEmpty();
    }

    /** How many deliveries a new event of {@code type} owes. */
    private int owed(String type, String id) throws Exception {
        NodeClient.Reply sent = client.post("/v1/events", "application/cloudevents+json", ("{\"specversion\":\"1.0\",\"id\":\""
                + id + "\",\"source\":\"/follow\",\"type\":\"" + type + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(sent.status()).as(sent.text()).isEqualTo(202);
        return sent.json().path("events").get(0).path("deliveries").asInt();
    }

    @Test
    void aFailingArrowIsRetriedThenDeadLetteredThenRedriven() throws Exception {
        // Fails until kv flags/ok exists.
        String script = """
                cat > /dev/null
                curl -s -f -o /dev/null --unix-socket "$ARROW_API_SOCKET" -H "Authorization: Bearer $ARROW_TOKEN" \\
                    http://arrow/v1/kv/flags/keys/ok || { echo "not yet" >&2; exit 3; }
                """;
        deployExec("flaky", script, "{\"kv\":[\"flags\"]}",
                "[{\"event\": {\"type\": \"t.fail\"}, \"retry\": {\"attempts\": 2, \"baseDelay\": \"10ms\", \"maxDelay\": \"20ms\"}}]");
        NodeClient.Reply sent = client.post("/v1/events", "application/cloudevents+json",
                "{\"specversion\":\"1.0\",\"id\":\"f1\",\"source\":\"/t\",\"type\":\"t.fail\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(sent.status()).as(sent.text()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(60)).until(() -> delivery("t.fail").path("status").asText().equals("dead_lettered"));
        JsonNode dead = delivery("t.fail");
        assertThat(dead.path("failures").asInt()).isEqualTo(2);
        assertThat(dead.path("deadLetterQueue").asText()).isEqualTo("arrow-dead-letters");
        assertThat(dead.path("lastError").asText()).contains("exited with 3");

        // The dead letter is a message of the node's queue: inspectable.
        JsonNode messages = client.postJson("/v1/queues/arrow-dead-letters/receive",
                "{\"maxMessages\":10,\"visibilityTimeout\":0}").json().path("messages");
        assertThat(messages).hasSize(1);
        JsonNode letter = NodeClient.JSON.readTree(messages.get(0).path("body").asText());
        assertThat(letter.path("arrow").asText()).isEqualTo("flaky");
        assertThat(letter.path("trigger").asInt()).isZero();
        assertThat(letter.path("event").path("id").asText()).isEqualTo("f1");
        assertThat(client.get("/metrics").text()).contains("arrow_events_dead_letters_total");

        // Fixed, then redriven: delivered, and gone from the queue.
        assertThat(client.call("PUT", "/v1/kv/flags/keys/ok", "text/plain", "yes".getBytes(StandardCharsets.UTF_8), Map.of())
                .status()).isIn(200, 201);
        NodeClient.Reply redriven = client.postJson("/v1/events/redrive", "{}");
        assertThat(redriven.status()).as(redriven.text()).isEqualTo(200);
        assertThat(redriven.json().path("redriven").asInt()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> delivery("t.fail").path("status").asText().equals("delivered"));
        assertThat(client.postJson("/v1/queues/arrow-dead-letters/receive", "{\"maxMessages\":10}").json()
                .path("messages")).isEmpty();

        JsonNode triggers = client.get("/v1/triggers?arrow=flaky").json().path("triggers");
        assertThat(triggers).hasSize(1);
        assertThat(triggers.get(0).path("kind").asText()).isEqualTo("event");
        assertThat(triggers.get(0).path("deliveries").asInt()).isEqualTo(1);
        assertThat(triggers.get(0).path("deadLetters").asInt()).isZero();
        assertThat(triggers.get(0).path("failures").asInt()).isZero(); // counted again from the redrive
    }

    @Test
    void anHttpArrowThatRefusesAnEventWith4xxHasNotTakenIt() throws Exception {
        ObjectNode refuser = NodeClient.JSON.createObjectNode();
        refuser.put("name", "refuser").put("mode", "http");
        refuser.putArray("command").add("python3").add("-c").add("""
                import http.server, os
                class H(http.server.BaseHTTPRequestHandler):
                    protocol_version = "HTTP/1.1"
                    def log_message(self, *a): pass
                    def do_POST(self):
                        self.rfile.read(int(self.headers.get("Content-Length") or 0))
                        self.send_response(400)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
                """);
        refuser.set("triggers", NodeClient.JSON.readTree("""
                [{"event": {"type": "t.refused"}, "retry": {"attempts": 2, "baseDelay": "10ms", "maxDelay": "20ms"},
                  "deadLetterQueue": "refused"}]"""));
        NodeClient.Reply deployed = client.deploy(refuser.toString());
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        NodeClient.Reply sent = client.post("/v1/events", "application/cloudevents+json",
                "{\"specversion\":\"1.0\",\"id\":\"r1\",\"source\":\"/t\",\"type\":\"t.refused\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(sent.status()).as(sent.text()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(60)).until(() -> delivery("t.refused").path("status").asText().equals("dead_lettered"));
        JsonNode dead = delivery("t.refused");
        assertThat(dead.path("failures").asInt()).isEqualTo(2);
        assertThat(dead.path("deadLetterQueue").asText()).isEqualTo("refused");
        assertThat(dead.path("lastError").asText()).contains("status 400");
    }

    @Test
    void aScheduleFiresEverySecondAndAMissedRunFiresOnceAfterARestart() throws Exception {
        deployExec("ticker", "cat > /dev/null", "{}", "[{\"schedule\": \"* * * * * *\"}]");
        String source = "/arrows/ticker/triggers/0";
        await().atMost(Duration.ofSeconds(30)).until(() -> scheduled(source).size() >= 3);
        // Each firing is at a whole second, once, and delivered as an invocation made by the schedule.
        List<Instant> firings = scheduled(source);
        assertThat(firings).allMatch(at -> at.getNano() == 0).doesNotHaveDuplicates();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.get("/v1/invocations?arrow=ticker").json()
                .path("invocations").findValuesAsText("trigger").contains("schedule"));

        node.close();
        node = null;
        Instant stopped = Instant.now();
        Thread.sleep(5000); // the node is down for four ticks and more
        Instant restarted = Instant.now();
        startNode();
        await().atMost(Duration.ofSeconds(30)).until(() -> scheduled(source).stream().anyMatch(at -> at.isAfter(stopped)));
        Instant newest = scheduled(source).stream().filter(at -> !at.isAfter(stopped)).max(Instant::compareTo).orElseThrow();
        List<Instant> missed = scheduled(source).stream().filter(at -> at.isAfter(newest) && at.isBefore(restarted)).toList();
        // One firing per missed tick would be four or more; the rule owes one, the latest.
        assertThat(missed).hasSizeLessThanOrEqualTo(1);
        Instant firstAfter = scheduled(source).stream().filter(at -> at.isAfter(newest)).min(Instant::compareTo).orElseThrow();
        assertThat(firstAfter).isAfter(restarted.minusSeconds(1));
    }

    @Test
    void anObjectPutWithAwscliFiresABucketTrigger() throws Exception {
        deployExec("thumbs", RECORDER, "{\"kv\":[\"seen\"],\"buckets\":[\"images\"]}",
                "[{\"bucket\": \"images\", \"events\": [\"created\"], \"suffix\": \".png\"}]");
        assertThat(client.call("PUT", "/v1/buckets/images", null, null, Map.of()).status()).isIn(200, 201);
        JsonNode key = client.postJson("/v1/keys", "{\"name\":\"events test\"}").json();
        Files.writeString(work.resolve("aws-config"), "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n");
        Files.writeString(work.resolve("cat.png"), "not really a png");
        Files.writeString(work.resolve("notes.txt"), "skipped by the suffix");
        aws(key, "s3", "cp", work.resolve("notes.txt").toString(), "s3://images/notes.txt");
        aws(key, "s3", "cp", work.resolve("cat.png").toString(), "s3://images/cats/cat one.png");

        await().atMost(Duration.ofSeconds(60)).until(() -> client.get("/v1/events?type=dev.arrow.object.created").json()
                .path("events").findValuesAsText("status").contains("delivered"));
        JsonNode events = client.get("/v1/events?type=dev.arrow.object.created").json().path("events");
        assertThat(events).hasSize(1);
        String id = events.get(0).path("id").asText();
        JsonNode event = awaitKv("seen", "dev.arrow.object.created/" + id.replace(" ", "%20"));
        assertThat(event.path("subject").asText()).isEqualTo("cats/cat one.png");
        JsonNode record = event.path("data").path("Records").get(0);
        assertThat(record.path("eventVersion").asText()).isEqualTo("2.1");
        assertThat(record.path("eventName").asText()).isEqualTo("ObjectCreated:Put");
        assertThat(record.path("s3").path("bucket").path("name").asText()).isEqualTo("images");
        assertThat(record.path("s3").path("object").path("key").asText()).isEqualTo("cats/cat+one.png");
        assertThat(record.path("s3").path("object").path("size").asLong()).isEqualTo(16);
    }

    @Test
    void anArrowPublishesThroughItsSocketOnlyWithTheBinding() throws Exception {
        String script = """
                cat > /dev/null
                curl -s -o /dev/null -w '%{http_code}\\n' --unix-socket "$ARROW_API_SOCKET" \\
                    -H "Authorization: Bearer $ARROW_TOKEN" -H "Content-Type: application/cloudevents+json" \\
                    --data-binary '{"specversion":"1.0","id":"from-inside","source":"/inside","type":"t.inside"}' \\
                    http://arrow/v1/events
                """;
        deployExec("publisher", script, "{\"events\":\"publish\"}", "[]");
        deployExec("silent", script, "{}", "[]");
        assertThat(client.invoke("publisher", "").text().strip()).isEqualTo("202");
        assertThat(client.invoke("silent", "").text().strip()).isEqualTo("403");
        assertThat(client.get("/v1/events?type=t.inside").json().path("events")).hasSize(1);
        assertThat(client.get("/v1/arrows/publisher").json().path("spec").path("bindings").path("events").asText())
                .isEqualTo("publish");
    }

    @Test
    void badEventsAndBadTriggersAreRefusedNamingTheFieldWithNothingStored() throws Exception {
        NodeClient.Reply noType = client.call("POST", "/v1/events", "application/json", "{}".getBytes(StandardCharsets.UTF_8),
                Map.of("ce-specversion", "1.0", "ce-id", "x", "ce-source", "/s"));
        assertThat(noType.status()).isEqualTo(400);
        assertThat(noType.json().path("error").path("field").asText()).isEqualTo("ce-type");

        NodeClient.Reply notJson = client.call("POST", "/v1/events", "application/json", "{oops".getBytes(StandardCharsets.UTF_8),
                Map.of("ce-specversion", "1.0", "ce-id", "x", "ce-source", "/s", "ce-type", "t"));
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().path("error").path("field").asText()).isEqualTo("data");

        NodeClient.Reply badVersion = client.post("/v1/events", "application/cloudevents+json",
                "{\"specversion\":\"0.3\",\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(badVersion.status()).isEqualTo(400);
        assertThat(badVersion.json().path("error").path("field").asText()).isEqualTo("specversion");

        NodeClient.Reply batch = client.post("/v1/events", "application/cloudevents-batch+json", """
                [{"specversion":"1.0","id":"ok","source":"/s","type":"t"},
                 {"specversion":"1.0","id":"bad","type":"t"}]""".getBytes(StandardCharsets.UTF_8));
        assertThat(batch.status()).isEqualTo(400);
        assertThat(batch.json().path("error").path("field").asText()).isEqualTo("[1].source");
        assertThat(client.get("/v1/events").json().path("events")).isEmpty(); // not even the good one

        NodeClient.Reply unbound = client.deploy("{\"name\":\"orders\",\"command\":[\"cat\"],\"bindings\":{\"queues\":[\"a\"]},"
                + "\"triggers\":[{\"queue\":\"a\"},{\"queue\":\"orders\"}]}");
        assertThat(unbound.status()).isEqualTo(400);
        assertThat(unbound.json().path("error").path("field").asText()).isEqualTo("triggers[1].queue");
        NodeClient.Reply cron = client.deploy("{\"name\":\"orders\",\"command\":[\"cat\"],\"triggers\":[{\"schedule\":\"61 * * * * *\"}]}");
        assertThat(cron.status()).isEqualTo(400);
        assertThat(cron.json().path("error").path("field").asText()).isEqualTo("triggers[0].schedule");
        NodeClient.Reply zone = client.deploy("{\"name\":\"orders\",\"command\":[\"cat\"],"
                + "\"triggers\":[{\"schedule\":\"0 * * * * *\",\"timezone\":\"Mars/Olympus\"}]}");
        assertThat(zone.json().path("error").path("field").asText()).isEqualTo("triggers[0].timezone");
        NodeClient.Reply filter = client.deploy("{\"name\":\"orders\",\"command\":[\"cat\"],"
                + "\"triggers\":[{\"event\":{\"filters\":[{\"regex\":{\"type\":\".*\"}}]}}]}");
        assertThat(filter.status()).isEqualTo(400);
        assertThat(filter.json().path("error").path("field").asText()).startsWith("triggers[0].event");
        assertThat(client.get("/v1/arrows/orders").status()).isEqualTo(404);
    }

    private JsonNode delivery(String type) throws Exception {
        return client.get("/v1/events?type=" + type).json().path("events").path(0).path("deliveries").path(0);
    }

    /** The scheduled times of a schedule's firings, newest first. */
    private List<Instant> scheduled(String source) throws Exception {
        var times = new ArrayList<Instant>();
        for (JsonNode event : client.get("/v1/events?type=dev.arrow.schedule.fired&limit=500&source=" + source).json()
                .path("events")) {
            times.add(Instant.parse(event.path("event").path("data").path("scheduledTime").asText()));
        }
        return times;
    }

    private JsonNode awaitKv(String store, String key) throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> client.get("/v1/kv/" + store + "/keys/" + key).status() == 200);
        return NodeClient.JSON.readTree(client.get("/v1/kv/" + store + "/keys/" + key).body());
    }

    private void deployExec(String name, String script, String bindings, String triggers) throws Exception {
        ObjectNode body = NodeClient.JSON.createObjectNode();
        body.put("name", name);
        body.putArray("command").add("sh").add("-c").add(script);
        body.set("bindings", NodeClient.JSON.readTree(bindings));
        body.set("triggers", NodeClient.JSON.readTree(triggers));
        NodeClient.Reply deployed = client.deploy(body.toString());
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
    }

    private void aws(JsonNode key, String... args) throws Exception {
        var command = new ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url", node.s3Uri().orElseThrow().toString()));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("AWS_CONFIG_FILE", work.resolve("aws-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("no-credentials").toString());
        env.put("AWS_ACCESS_KEY_ID", key.path("accessKeyId").asText());
        env.put("AWS_SECRET_ACCESS_KEY", key.path("secretAccessKey").asText());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.remove("AWS_PROFILE");
        env.remove("AWS_SESSION_TOKEN");
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
