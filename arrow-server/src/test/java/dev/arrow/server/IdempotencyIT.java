package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Idempotency-Key on invoke and deploy, against a real node (Jetty, SQLite, sandboxes). */
class IdempotencyIT {

    private static final String KEY = "Idempotency-Key";
    private static final String REPLAYED = "Idempotent-Replayed";

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT));
        client = new NodeClient(node);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private void restart() throws Exception {
        node.close();
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT));
        client = new NodeClient(node);
    }

    private static String spec(String name, String command) {
        return "{\"name\":\"" + name + "\",\"command\":[\"/bin/sh\",\"-c\"," + NodeClient.JSON.valueToTree(command) + "]}";
    }

    private NodeClient.Reply invoke(String arrow, String query, String body, String key) throws Exception {
        return client.post("/v1/arrows/" + arrow + "/invoke" + query, "application/octet-stream",
                body.getBytes(StandardCharsets.UTF_8), key == null ? Map.of() : Map.of(KEY, key));
    }

    private NodeClient.Reply deploy(String json, String key) throws Exception {
        return client.post("/v1/arrows", "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of(KEY, key));
    }

    private int invocationsOf(String arrow) throws Exception {
        return client.get("/v1/invocations?arrow=" + arrow).json().path("invocations").size();
    }

    @Test
    void anAsyncSubmitRetriedWithItsKeyIsOneInvocation() throws Exception {
        client.deploy(spec("later", "cat"));

        NodeClient.Reply first = invoke("later", "?async=true", "payload", "submit-1");
        NodeClient.Reply again = invoke("later", "?async=true", "payload", "submit-1");

        assertThat(first.status()).isEqualTo(202);
        assertThat(first.header(REPLAYED)).isNull();
        String id = first.json().path("id").asText();
        assertThat(again.status()).isEqualTo(202);
        assertThat(again.header(REPLAYED)).isEqualTo("true");
        assertThat(again.json().path("id").asText()).isEqualTo(id);
        assertThat(again.json().path("status").asText()).isEqualTo("queued");
        assertThat(again.header("Location")).isEqualTo("/v1/invocations/" + id).isEqualTo(first.header("Location"));
        assertThat(again.header("X-Arrow-Invocation-Id")).isEqualTo(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> client.get("/v1/invocations/" + id).json()
                .path("status").asText().equals("succeeded"));
        assertThat(invocationsOf("later")).isOne();
        assertThat(client.get("/v1/invocations/" + id + "/output").text()).isEqualTo("payload");
        NodeClient.Reply unkeyed = invoke("later", "?async=true", "payload", null);
        assertThat(unkeyed.json().path("id").asText()).as("no key, no replay").isNotEqualTo(id);
    }

    @Test
    void anotherBodyUnderAKeyIs422AndABadKeyIs400() throws Exception {
        client.deploy(spec("later", "cat"));
        invoke("later", "?async=true", "payload", "submit-1");

        NodeClient.Reply other = invoke("later", "?async=true", "another payload", "submit-1");
        assertThat(other.status()).isEqualTo(422);
        JsonNode error = other.json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("idempotency_key_reused");
        assertThat(error.path("field").asText()).isEqualTo(KEY);
        assertThat(error.path("message").asText()).contains("submit-1");
        assertThat(invocationsOf("later")).isOne();

        NodeClient.Reply tooLong = invoke("later", "?async=true", "payload", "k".repeat(256));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.json().path("error").path("code").asText()).isEqualTo("invalid_input");
        assertThat(tooLong.json().path("error").path("field").asText()).isEqualTo(KEY);
        for (String keys : new String[] {"Idempotency-Key: caf\u00e9\r\n", "Idempotency-Key: a\r\nIdempotency-Key: b\r\n"}) {
            try (var wire = new WireClient(node.port())) {
                WireClient.Answer answer = wire.send("POST /v1/arrows/later/invoke?async=true HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer " + Files.readString(home.resolve("token")).strip() + "\r\n" + keys
                        + "Content-Length: 7\r\n\r\npayload").read();
                assertThat(answer.status()).as(keys).isEqualTo(400);
                assertThat(answer.text()).contains("\"field\":\"Idempotency-Key\"");
            }
        }
        assertThat(invoke("later", "", "payload", "\"quoted \\\" key\"").status()).as("an sf-string").isEqualTo(200);
        assertThat(invoke("later", "", "payload", "\"quoted \\\" key\"").header(REPLAYED)).isEqualTo("true");
    }

    @Test
    void aSyncInvokeRetriedWithItsKeyAnswersTheSameWithoutRunningAgain() throws Exception {
        client.deploy(spec("random", "cat >/dev/null; head -c 12 /dev/urandom | od -An -tx1"));
        client.deploy(spec("fails", "echo broken >&2; exit 3"));

        NodeClient.Reply first = invoke("random", "", "in", "sync-1");
        NodeClient.Reply again = invoke("random", "", "in", "sync-1");

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header(REPLAYED)).isNull();
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.header(REPLAYED)).isEqualTo("true");
        assertThat(again.text()).as("random bytes: the same only if it did not run again").isEqualTo(first.text());
        assertThat(again.header("X-Arrow-Invocation-Id")).isEqualTo(first.header("X-Arrow-Invocation-Id"));
        for (String header : new String[] {"X-Arrow-Revision", "X-Arrow-Cold", "X-Arrow-Duration-Ms", "X-Arrow-Billed-Ms"}) {
            assertThat(again.header(header)).as(header).isEqualTo(first.header(header));
        }
        assertThat(invocationsOf("random")).isOne();
        assertThat(invoke("random", "", "in", "sync-2").text()).as("another key runs").isNotEqualTo(first.text());

        NodeClient.Reply failed = invoke("fails", "", "", "sync-3");
        NodeClient.Reply failedAgain = invoke("fails", "", "", "sync-3");
        assertThat(failedAgain.status()).isEqualTo(502).isEqualTo(failed.status());
        assertThat(failedAgain.header(REPLAYED)).isEqualTo("true");
        assertThat(failedAgain.json()).isEqualTo(failed.json());
        assertThat(failedAgain.json().path("error").path("stderrTail").asText()).isEqualTo("broken\n");
        assertThat(invocationsOf("fails")).isOne();
    }

    @Test
    void aRetryWhileTheSyncInvocationRunsIs409() throws Exception {
        client.deploy(spec("slow", "sleep 3; echo done"));
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<NodeClient.Reply> first = executor.submit(() -> invoke("slow", "", "", "slow-1"));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.send("GET", "/metrics", null, null, null).text()
                    .contains("arrow_sandboxes_alive 1.0"));

            NodeClient.Reply during = invoke("slow", "", "", "slow-1");
            assertThat(during.status()).isEqualTo(409);
            assertThat(during.json().path("error").path("code").asText()).isEqualTo("idempotency_key_in_flight");
            assertThat(during.json().path("error").path("field").asText()).isEqualTo(KEY);

            assertThat(first.get().status()).isEqualTo(200);
            NodeClient.Reply after = invoke("slow", "", "", "slow-1");
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.header(REPLAYED)).isEqualTo("true");
            assertThat(after.text()).isEqualTo("done\n");
        }
        assertThat(invocationsOf("slow")).isOne();
    }

    @Test
    void aDeployRetriedWithItsKeyMakesOneRevision() throws Exception {
        String json = spec("greet", "echo one");
        NodeClient.Reply first = deploy(json, "deploy-1");
        NodeClient.Reply again = deploy(json, "deploy-1");

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header(REPLAYED)).isNull();
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.header(REPLAYED)).isEqualTo("true");
        assertThat(again.json()).isEqualTo(first.json());
        assertThat(again.json().path("latestRevision").asInt()).isOne();
        assertThat(client.get("/v1/arrows/greet/revisions").json().path("revisions")).hasSize(1);

        NodeClient.Reply other = deploy(spec("greet", "echo two"), "deploy-1");
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.json().path("error").path("code").asText()).isEqualTo("idempotency_key_reused");
        assertThat(deploy(spec("greet", "echo two"), "deploy-2").json().path("latestRevision").asInt()).isEqualTo(2);
        assertThat(client.get("/v1/arrows/greet/revisions").json().path("revisions")).hasSize(2);
    }

    @Test
    void keysSurviveARestartOfTheNode() throws Exception {
        client.deploy(spec("later", "cat"));
        client.deploy(spec("random", "head -c 12 /dev/urandom | od -An -tx1"));
        String id = invoke("later", "?async=true", "payload", "restart-1").json().path("id").asText();
        NodeClient.Reply sync = invoke("random", "", "", "restart-2");
        NodeClient.Reply deployed = deploy(spec("greet", "echo one"), "restart-3");

        restart();

        NodeClient.Reply async = invoke("later", "?async=true", "payload", "restart-1");
        assertThat(async.status()).isEqualTo(202);
        assertThat(async.header(REPLAYED)).isEqualTo("true");
        assertThat(async.json().path("id").asText()).isEqualTo(id);
        NodeClient.Reply syncAgain = invoke("random", "", "", "restart-2");
        assertThat(syncAgain.header(REPLAYED)).isEqualTo("true");
        assertThat(syncAgain.text()).isEqualTo(sync.text());
        NodeClient.Reply deployedAgain = deploy(spec("greet", "echo one"), "restart-3");
        assertThat(deployedAgain.header(REPLAYED)).isEqualTo("true");
        assertThat(deployedAgain.json()).isEqualTo(deployed.json());
        assertThat(invocationsOf("later")).isOne();
        assertThat(invocationsOf("random")).isOne();
    }
}
