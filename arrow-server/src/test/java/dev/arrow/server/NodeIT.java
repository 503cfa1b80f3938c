package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A real node (Jetty, SQLite, sandboxes) driven over HTTP. */
class NodeIT {

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(config(DispatchSettings.DEFAULT));
        client = new NodeClient(node);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private NodeConfig config(DispatchSettings dispatch) {
        return new NodeConfig("127.0.0.1", 0, home, dispatch);
    }

    private static String spec(String name, String command, String extra) {
        return "{\"name\":\"" + name + "\",\"command\":[\"/bin/sh\",\"-c\"," + NodeClient.JSON.valueToTree(command)
                + "]" + extra + "}";
    }

    @Test
    void tokenIsMadeOnceWithMode0600AndGuardsEveryV1Call() throws Exception {
        Path token = home.resolve("token");
        assertThat(Files.getPosixFilePermissions(token)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(client.send("GET", "/healthz", null, null, null).status()).isEqualTo(200);
        for (String presented : new String[] {null, "wrong", ""}) {
            NodeClient.Reply reply = client.send("GET", "/v1/arrows", null, null, presented);
            assertThat(reply.status()).isEqualTo(401);
            assertThat(reply.json().path("error").path("code").asText()).isEqualTo("unauthorized");
            assertThat(reply.text()).doesNotContain("arrows\"");
        }
        String before = Files.readString(token);
        node.close();
        node = Node.start(config(DispatchSettings.DEFAULT));
        assertThat(Files.readString(token)).isEqualTo(before);
    }

    @Test
    void deployAndInvokeSync() throws Exception {
        NodeClient.Reply deployed = client.deploy(spec("upper", "tr a-z A-Z; echo done >&2", ""));
        assertThat(deployed.status()).isEqualTo(201);
        assertThat(deployed.json().path("trafficRevision").asInt()).isEqualTo(1);
        assertThat(deployed.json().path("spec").path("limits").path("memory").asLong()).isEqualTo(128L << 20);

        NodeClient.Reply reply = client.invoke("upper", "hello");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("HELLO");
        String id = reply.header("X-Arrow-Invocation-Id");
        assertThat(id).hasSize(26);
        assertThat(reply.header("X-Arrow-Cold")).isEqualTo("true");
        assertThat(Double.parseDouble(reply.header("X-Arrow-Duration-Ms"))).isPositive();
        assertThat(Long.parseLong(reply.header("X-Arrow-Billed-Ms"))).isPositive();

        JsonNode record = client.get("/v1/invocations/" + id).json();
        assertThat(record.path("status").asText()).isEqualTo("succeeded");
        assertThat(record.path("trigger").asText()).isEqualTo("sync");
        assertThat(record.path("outcome").asText()).isEqualTo("exited");
        assertThat(record.path("memoryLimitBytes").asLong()).isEqualTo(128L << 20);
        assertThat(record.path("gbSeconds").asDouble()).isEqualTo(
                0.125 * record.path("billedMs").asLong() / 1000.0);
        assertThat(record.path("initMs").asDouble()).isPositive().isLessThan(record.path("durationMs").asDouble());
        assertThat(client.get("/v1/invocations/" + id + "/logs").text()).isEqualTo("done\n");
        assertThat(client.get("/v1/invocations/" + id + "/output").text()).isEqualTo("HELLO");
    }

    @Test
    void failuresAreDistinctErrorsCarryingStderr() throws Exception {
        client.deploy(spec("fails", "echo broken >&2; exit 3", ""));
        client.deploy(spec("slow", "sleep 30", ",\"limits\":{\"timeout\":\"300ms\"}"));
        client.deploy("{\"name\":\"hog\",\"command\":[\"/usr/bin/python3\",\"-c\",\"x=bytearray(512<<20)\"],"
                + "\"limits\":{\"memory\":\"32m\"}}");
        client.deploy(spec("chatty", "yes", ""));

        NodeClient.Reply failed = client.invoke("fails", "");
        assertThat(failed.status()).isEqualTo(502);
        JsonNode error = failed.json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("exited");
        assertThat(error.path("exitCode").asInt()).isEqualTo(3);
        assertThat(error.path("stderrTail").asText()).isEqualTo("broken\n");
        assertThat(error.path("invocation").path("status").asText()).isEqualTo("failed");

        NodeClient.Reply slow = client.invoke("slow", "");
        assertThat(slow.status()).isEqualTo(504);
        assertThat(slow.json().path("error").path("code").asText()).isEqualTo("timed_out");

        NodeClient.Reply hog = client.invoke("hog", "");
        assertThat(hog.status()).isEqualTo(502);
        assertThat(hog.json().path("error").path("code").asText()).isEqualTo("out_of_memory");

        NodeClient.Reply chatty = client.invoke("chatty", "");
        assertThat(chatty.status()).isEqualTo(502);
        assertThat(chatty.json().path("error").path("code").asText()).isEqualTo("output_too_large");

        String metrics = client.send("GET", "/metrics", null, null, null).text();
        assertThat(metrics).contains("arrow_invocations_total{arrow=\"fails\",outcome=\"exited\"} 1.0")
                .contains("arrow_invocations_total{arrow=\"slow\",outcome=\"timed-out\"} 1.0")
                .contains("arrow_cold_starts_total{arrow=\"hog\"} 1.0")
                .contains("arrow_invocation_duration_seconds_bucket")
                .contains("arrow_sandboxes_alive").contains("arrow_queue_depth");
    }

    @Test
    void coldStartsTakePrewarmedSandboxesAndThePoolIsReportedInMetrics() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> metric("arrow_prewarm_ready") == NodeConfig.DEFAULT_PREWARM);
        assertThat(metric("arrow_prewarm_target")).isEqualTo(NodeConfig.DEFAULT_PREWARM);
        assertThat(metric("arrow_prewarm_processes")).as("a supervisor and a pid 1 each")
                .isEqualTo(2 * NodeConfig.DEFAULT_PREWARM);
        assertThat(metric("arrow_prewarm_memory_bytes")).isGreaterThan(NodeConfig.DEFAULT_PREWARM * (256 << 10));

        client.deploy(spec("echo", "cat", ""));
        for (int i = 0; i < 3; i++) {
            NodeClient.Reply reply = client.invoke("echo", "n" + i);
            assertThat(reply.text()).isEqualTo("n" + i);
            // the pool refills between calls this far apart, so each one finds a ready sandbox
            await().atMost(Duration.ofSeconds(20)).until(() -> metric("arrow_prewarm_ready") == NodeConfig.DEFAULT_PREWARM);
        }
        assertThat(metric("arrow_sandboxes_ended_total{prewarmed=\"true\"}")).isEqualTo(3);
    }

    private double metric(String series) throws Exception {
        String text = client.send("GET", "/metrics", null, null, null).text();
        return text.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1))).orElse(-1.0);
    }

    @Test
    void asyncInvocationIsAcceptedThenRun() throws Exception {
        client.deploy(spec("later", "cat; echo async-log >&2", ""));
        NodeClient.Reply accepted = client.post("/v1/arrows/later/invoke?async=true", "text/plain",
                "payload".getBytes(StandardCharsets.UTF_8));
        assertThat(accepted.status()).isEqualTo(202);
        String id = accepted.json().path("id").asText();
        assertThat(accepted.header("Location")).isEqualTo("/v1/invocations/" + id);
        await().atMost(Duration.ofSeconds(20)).until(() -> client.get("/v1/invocations/" + id).json()
                .path("status").asText().equals("succeeded"));
        assertThat(client.get("/v1/invocations/" + id + "/output").text()).isEqualTo("payload");
        JsonNode record = client.get("/v1/invocations/" + id).json();
        assertThat(record.path("trigger").asText()).isEqualTo("async");
        assertThat(record.path("attempts").asInt()).isEqualTo(1);

        JsonNode logs = client.get("/v1/arrows/later/logs").json();
        assertThat(logs.path("entries").get(0).path("log").asText()).isEqualTo("async-log\n");
        JsonNode page = client.get("/v1/invocations?arrow=later&status=succeeded").json();
        assertThat(page.path("invocations")).hasSize(1);
    }

    @Test
    void aRunningAsyncInvocationFinishesBeforeTheNodeStops() throws Exception {
        client.deploy(spec("slowjob", "sleep 1; cat", ""));
        String id = client.post("/v1/arrows/slowjob/invoke?async=true", "text/plain",
                "payload".getBytes(StandardCharsets.UTF_8)).json().path("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> client.get("/v1/invocations/" + id).json()
                .path("status").asText().equals("running"));
        node.close(); // lets it finish: it must neither fail nor be run again
        node = Node.start(config(DispatchSettings.DEFAULT));
        client = new NodeClient(node);
        JsonNode record = client.get("/v1/invocations/" + id).json();
        assertThat(record.path("status").asText()).isEqualTo("succeeded");
        assertThat(record.path("attempts").asInt()).isEqualTo(1);
        assertThat(client.get("/v1/invocations/" + id + "/output").text()).isEqualTo("payload");
    }

    @Test
    void acceptedAsyncWorkSurvivesARestartMidQueue() throws Exception {
        node.close();
        var oneAtATime = DispatchSettings.DEFAULT.withConcurrency(1, 1);
        node = Node.start(config(oneAtATime));
        client = new NodeClient(node);
        client.deploy(spec("queued", "sleep 0.3; cat", ""));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            NodeClient.Reply reply = client.post("/v1/arrows/queued/invoke?async=true", "text/plain",
                    ("job-" + i).getBytes(StandardCharsets.UTF_8));
            assertThat(reply.status()).isEqualTo(202);
            ids.add(reply.json().path("id").asText());
        }
        node.close(); // most are still queued, one may be running
        node = Node.start(config(oneAtATime));
        client = new NodeClient(node);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (String id : ids) {
                if (!client.get("/v1/invocations/" + id).json().path("status").asText().equals("succeeded")) {
                    return false;
                }
            }
            return true;
        });
        for (int i = 0; i < ids.size(); i++) {
            assertThat(client.get("/v1/invocations/" + ids.get(i) + "/output").text()).isEqualTo("job-" + i);
        }
    }

    @Test
    void overloadAnswers429WithRetryAfter() throws Exception {
        node.close();
        node = Node.start(config(DispatchSettings.DEFAULT.withConcurrency(1, 1).withQueue(0, Duration.ofSeconds(1), 10)));
        client = new NodeClient(node);
        client.deploy(spec("busy", "sleep 2", ""));
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<NodeClient.Reply> first = executor.submit(() -> client.invoke("busy", ""));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.send("GET", "/metrics", null, null, null).text()
                    .contains("arrow_sandboxes_alive 1.0"));
            NodeClient.Reply second = client.invoke("busy", "");
            assertThat(second.status()).isEqualTo(429);
            assertThat(second.header("Retry-After")).isNotBlank();
            assertThat(second.json().path("error").path("code").asText()).isEqualTo("overloaded");
            assertThat(first.get().status()).isEqualTo(200);
        }
    }

    @Test
    void bundlesAreContentAddressedAndMountedAtCode() throws Exception {
        byte[] archive = tarGz("wc.sh", "wc -w\n");
        NodeClient.Reply first = client.post("/v1/bundles", "application/gzip", archive);
        assertThat(first.status()).isEqualTo(201);
        String digest = first.json().path("digest").asText();
        NodeClient.Reply again = client.post("/v1/bundles", "application/gzip", archive);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("digest").asText()).isEqualTo(digest);

        client.deploy("{\"name\":\"wc\",\"command\":[\"/bin/sh\",\"wc.sh\"],\"bundle\":\"" + digest + "\"}");
        assertThat(client.invoke("wc", "one two three").text().strip()).isEqualTo("3");

        NodeClient.Reply attack = client.post("/v1/bundles", "application/gzip", tarGz("../escape.sh", "x"));
        assertThat(attack.status()).isEqualTo(400);
        assertThat(attack.json().path("error").path("field").asText()).isEqualTo("bundle");
        NodeClient.Reply unknown = client.deploy("{\"name\":\"ghost\",\"command\":[\"true\"],\"bundle\":\"sha256:"
                + "0".repeat(64) + "\"}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("error").path("field").asText()).isEqualTo("bundle");
    }

    @Test
    void revisionsAndRollback() throws Exception {
        client.deploy(spec("greet", "echo one", ""));
        client.deploy(spec("greet", "echo two", ""));
        assertThat(client.invoke("greet", "").text()).isEqualTo("two\n");
        JsonNode rolled = client.postJson("/v1/arrows/greet/rollback", "").json();
        assertThat(rolled.path("trafficRevision").asInt()).isEqualTo(1);
        assertThat(rolled.path("latestRevision").asInt()).isEqualTo(2);
        assertThat(client.invoke("greet", "").text()).isEqualTo("one\n");
        assertThat(client.postJson("/v1/arrows/greet/rollback", "{\"revision\":2}").status()).isEqualTo(200);
        assertThat(client.invoke("greet", "").text()).isEqualTo("two\n");
        assertThat(client.get("/v1/arrows/greet/revisions").json().path("revisions")).hasSize(2);
        assertThat(client.postJson("/v1/arrows/greet/rollback", "{\"revision\":9}").status()).isEqualTo(400);
        assertThat(client.delete("/v1/arrows/greet").status()).isEqualTo(204);
        assertThat(client.get("/v1/arrows/greet").status()).isEqualTo(404);
        assertThat(client.get("/v1/invocations?arrow=greet").json().path("invocations")).hasSize(3);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            unknown field       | {"name":"a","command":["true"],"colour":"red"}             | colour
            unknown limit       | {"name":"a","command":["true"],"limits":{"ram":"1g"}}      | limits.ram
            bad name            | {"name":"Not_A_Name","command":["true"]}                   | name
            missing name        | {"command":["true"]}                                       | name
            command not a list  | {"name":"a","command":"true"}                              | command
            wrong type          | {"name":"a","command":["true"],"limits":{"pids":"many"}}   | limits.pids
            bad size            | {"name":"a","command":["true"],"limits":{"memory":"12x"}}  | limits.memory
            memory too small    | {"name":"a","command":["true"],"limits":{"memory":1}}      | limits.memory
            bad network         | {"name":"a","command":["true"],"network":"wifi"}          | network
            exec with runtime   | {"name":"a","mode":"exec","runtime":"python3","handler":"m.f"} | mode
            bad env name        | {"name":"a","command":["true"],"env":{"1X":"y"}}           | env
            not json            | {"name":                                                   | body
            """)
    void badDeploysAre400NamingTheField(String what, String body, String field) throws Exception {
        NodeClient.Reply reply = client.deploy(body);
        assertThat(reply.status()).as(what).isEqualTo(400);
        JsonNode error = reply.json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_input");
        assertThat(error.path("field").asText()).as(what).isEqualTo(field);
        assertThat(reply.text()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void otherBadRequestsAreClear4xx() throws Exception {
        client.deploy(spec("ok", "cat", ""));
        assertThat(client.invoke("nope", "").status()).isEqualTo(404);
        assertThat(client.invoke("Bad_Name", "").status()).isEqualTo(400);
        assertThat(client.send("PUT", "/v1/arrows", "application/json", "{}".getBytes(), tokenOf()).status()).isEqualTo(405);
        assertThat(client.get("/v1/nothing-here").status()).isEqualTo(404);
        assertThat(client.post("/v1/arrows", "text/plain", "{}".getBytes()).status()).isEqualTo(415);
        assertThat(client.post("/v1/bundles", "text/plain", "x".getBytes()).status()).isEqualTo(415);
        assertThat(client.post("/v1/arrows/ok/invoke", "application/octet-stream", new byte[(6 << 20) + 1]).status())
                .isEqualTo(413);
        assertThat(client.deploy("{\"name\":\"a\",\"command\":[\"" + "x".repeat(2 << 20) + "\"]}").status()).isEqualTo(413);
        assertThat(client.get("/v1/invocations/not-an-id").status()).isEqualTo(404);
        assertThat(client.get("/v1/invocations?limit=0").status()).isEqualTo(400);
        assertThat(client.get("/v1/invocations?status=maybe").status()).isEqualTo(400);
        assertThat(client.post("/v1/arrows/ok/invoke?async=perhaps", "text/plain", new byte[0]).status()).isEqualTo(400);
        assertThat(client.get("/v1/arrows/ok/revisions/x").status()).isEqualTo(400);
    }

    private String tokenOf() throws Exception {
        return Files.readString(home.resolve("token")).strip();
    }

    private static byte[] tarGz(String name, String content) throws Exception {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            var entry = new TarArchiveEntry(name, true);
            entry.setSize(data.length);
            entry.setMode(0100644);
            tar.putArchiveEntry(entry);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }
}
