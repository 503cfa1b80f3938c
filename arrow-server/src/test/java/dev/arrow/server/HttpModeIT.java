package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http mode end to end: a real node, real sandboxes, a real python3 app behind the gateway. */
class HttpModeIT {

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;
    private String bundle;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT));
        client = new NodeClient(node);
        byte[] app;
        try (InputStream in = HttpModeIT.class.getResourceAsStream("app.py")) {
            app = in.readAllBytes();
        }
        NodeClient.Reply uploaded = client.post("/v1/bundles", "application/gzip",
                tarGz("app.py", app, "site/index.html", "<h1>hello from arrow</h1>\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(uploaded.status()).isIn(200, 201);
        bundle = uploaded.json().path("digest").asText();
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private void deploy(String name, String extra) throws Exception {
        NodeClient.Reply deployed = client.deploy("{\"name\":\"" + name + "\",\"mode\":\"http\",\"bundle\":\"" + bundle
                + "\",\"command\":[\"python3\",\"/code/app.py\"]" + extra + "}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
    }

    private NodeClient.Reply gateway(String method, String path, String body) throws Exception {
        return client.send(method, path, body == null ? null : "text/plain",
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), null);
    }


    /**
     * A request pipelined behind a forwarded one, which the lean path hands to Jetty with part of
     * its body: the rest, arriving later, must reach Jetty's connection, not the lean path's stale
     * interest in reading.
     */
    @Test
    void aPipelinedApiRequestBehindAForwardedOneGetsTheRestOfItsBody() throws Exception {
        deploy("site", "");
        assertThat(gateway("GET", "/a/site/index.html", null).status()).isEqualTo(200); // warm now
        String token = java.nio.file.Files.readString(home.resolve("token")).strip();
        String spec = "{\"name\":\"late\",\"command\":[\"cat\"]}";
        try (var socket = new java.net.Socket("127.0.0.1", node.port())) {
            socket.setSoTimeout(15_000);
            var out = socket.getOutputStream();
            var in = socket.getInputStream();
            out.write(("GET /a/site/index.html HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /v1/arrows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + spec.length()
                    + "\r\n\r\n" + spec.substring(0, 10)).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String first = readAnswer(in);
            assertThat(first).startsWith("HTTP/1.1 200 ").contains("hello from arrow");
            Thread.sleep(500); // the deploy is Jetty's now, waiting for the rest of its body
            out.write(spec.substring(10).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String second = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(second).startsWith("HTTP/1.1 201 ");
        }
    }

    /** One answer with a Content-Length body, leaving the connection open. */
    private static String readAnswer(InputStream in) throws java.io.IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        var length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
        return head + new String(in.readNBytes(bodyLength), StandardCharsets.ISO_8859_1);
    }

    @Test
    void servesAStaticSiteThroughTheGatewayColdThenWarm() throws Exception {
        deploy("site", "");
        NodeClient.Reply first = gateway("GET", "/a/site/index.html", null);
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.text()).contains("hello from arrow");
        assertThat(first.header("Content-Type")).isEqualTo("text/html");
        assertThat(first.header("X-Arrow-Cold")).isEqualTo("true");
        NodeClient.Reply second = gateway("GET", "/a/site/", null);
        assertThat(second.text()).contains("hello from arrow");
        assertThat(second.header("X-Arrow-Cold")).isEqualTo("false");

        JsonNode cold = client.record(first.header("X-Arrow-Invocation-Id"));
        JsonNode warm = client.record(second.header("X-Arrow-Invocation-Id"));
        assertThat(cold.path("trigger").asText()).isEqualTo("http");
        assertThat(cold.path("cold").asBoolean()).isTrue();
        assertThat(cold.path("initMs").asDouble()).isPositive();
        assertThat(warm.path("cold").asBoolean()).isFalse();
        assertThat(warm.path("initMs").asDouble()).isZero();
        assertThat(warm.path("instance").asText()).isEqualTo(cold.path("instance").asText()).isNotEmpty();

        assertThat(gateway("GET", "/a/site/missing.html", null).status()).isEqualTo(404);
        assertThat(gateway("GET", "/a/nosuch/", null).status()).isEqualTo(404);

        // a new revision takes the traffic: the old one's instance stops now, not after its keep-alive
        deploy("site", "");
        await().atMost(Duration.ofSeconds(10)).until(() -> client.get("/metrics").text().contains("\narrow_instances 0.0\n"));
        NodeClient.Reply afterDeploy = gateway("GET", "/a/site/", null);
        assertThat(afterDeploy.header("X-Arrow-Cold")).isEqualTo("true");
        assertThat(client.record(afterDeploy.header("X-Arrow-Invocation-Id")).path("instance").asText())
                .isNotEqualTo(cold.path("instance").asText());
    }

    @Test
    void forwardsMethodQueryAndBodyAndKeepsModuleState() throws Exception {
        deploy("echo", "");
        NodeClient.Reply echo = gateway("POST", "/a/echo/submit?x=1&y=two", "hello body");
        assertThat(echo.text()).isEqualTo("echo:hello body query:/submit?x=1&y=two");
        // concurrency 1: what the app logged during the request is that invocation's log
        String id = echo.header("X-Arrow-Invocation-Id");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(client.get("/v1/invocations/" + id + "/logs").text()).contains("got 10 bytes"));
        int before = Integer.parseInt(gateway("GET", "/a/echo/count", null).text());
        assertThat(Integer.parseInt(gateway("GET", "/a/echo/count", null).text())).isEqualTo(before + 1);

        // answers without a body end too: no content, and HEAD
        NodeClient.Reply empty = gateway("GET", "/a/echo/empty", null);
        assertThat(empty.status()).isEqualTo(204);
        assertThat(empty.text()).isEmpty();
        NodeClient.Reply head = gateway("HEAD", "/a/echo/index.html", null);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Type")).isEqualTo("text/html");
        assertThat(client.record(head.header("X-Arrow-Invocation-Id")).path("outcome").asText()).isEqualTo("exited");

        // a large body streams through whole
        String big = "x".repeat(3 << 20);
        assertThat(gateway("POST", "/a/echo/big", big).text()).hasSize("echo: query:/big".length() + big.length());
    }

    @Test
    void scalesUpUnderConcurrentLoadAndBackToZeroAfterKeepAlive() throws Exception {
        deploy("slow", ",\"scaling\":{\"concurrency\":1,\"maxInstances\":4,\"keepAlive\":\"1s\"}");
        var pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<NodeClient.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                replies.add(pool.submit(() -> gateway("GET", "/a/slow/slow", null)));
            }
            Set<String> instances = new HashSet<>();
            for (Future<NodeClient.Reply> reply : replies) {
                NodeClient.Reply done = reply.get();
                assertThat(done.status()).isEqualTo(200);
                instances.add(client.record(done.header("X-Arrow-Invocation-Id")).path("instance").asText());
            }
            assertThat(instances).hasSizeGreaterThan(1).hasSizeLessThanOrEqualTo(4);
        } finally {
            pool.shutdownNow();
        }
        assertThat(metric("arrow_instances")).isGreaterThan(1);
        await().atMost(Duration.ofSeconds(15)).until(() -> metric("arrow_instances") == 0);
    }

    @Test
    void minInstancesAreStartedAtDeployAndKeptWarm() throws Exception {
        deploy("kept", ",\"scaling\":{\"minInstances\":2,\"keepAlive\":\"0s\"}");
        await().atMost(Duration.ofSeconds(15)).until(() -> metric("arrow_instances") == 2);
        Thread.sleep(2500); // several reaper rounds with a zero keep-alive
        assertThat(metric("arrow_instances")).isEqualTo(2);
        assertThat(gateway("GET", "/a/kept/count", null).header("X-Arrow-Cold")).isEqualTo("false");
        assertThat(client.delete("/v1/arrows/kept").status()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(15)).until(() -> metric("arrow_instances") == 0);
    }

    @Test
    void aCrashFailsOnlyItsRequestAndTheInstanceIsReplaced() throws Exception {
        deploy("fragile", "");
        String firstInstance = client.record(gateway("GET", "/a/fragile/count", null).header("X-Arrow-Invocation-Id"))
                .path("instance").asText();
        NodeClient.Reply crash = gateway("GET", "/a/fragile/crash", null);
        assertThat(crash.status()).isEqualTo(502);
        assertThat(crash.json().path("error").path("message").asText()).contains("crashed");
        JsonNode crashed = client.record(crash.header("X-Arrow-Invocation-Id"));
        assertThat(crashed.path("status").asText()).isEqualTo("failed");
        await().atMost(Duration.ofSeconds(5)).until(() -> metric("arrow_instance_crashes_total") >= 1);

        NodeClient.Reply after = gateway("GET", "/a/fragile/count", null);
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.text()).isEqualTo("1"); // a new instance: its state starts over
        assertThat(client.record(after.header("X-Arrow-Invocation-Id")).path("instance").asText()).isNotEqualTo(firstInstance);
    }

    @Test
    void anInstanceOverItsMemoryIsKilledAndReportedOutOfMemory() throws Exception {
        deploy("hog", ",\"limits\":{\"memory\":\"64m\"}");
        NodeClient.Reply oom = gateway("GET", "/a/hog/oom", null);
        assertThat(oom.status()).isEqualTo(502);
        JsonNode record = client.record(oom.header("X-Arrow-Invocation-Id"));
        assertThat(record.path("outcome").asText()).isEqualTo("out-of-memory");
        assertThat(gateway("GET", "/a/hog/count", null).status()).isEqualTo(200);
    }

    @Test
    void anAppThatNeverListensFailsWithAClearErrorAfterTheStartTimeout() throws Exception {
        NodeClient.Reply deployed = client.deploy("{\"name\":\"deaf\",\"mode\":\"http\",\"command\":[\"sleep\",\"60\"],"
                + "\"http\":{\"startTimeout\":\"1s\"}}");
        assertThat(deployed.status()).isEqualTo(201);
        NodeClient.Reply reply = gateway("GET", "/a/deaf/", null);
        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.json().path("error").path("message").asText()).contains("not ready within 1000 ms");

        client.deploy("{\"name\":\"dies\",\"mode\":\"http\",\"command\":[\"sh\",\"-c\",\"echo no config >&2; exit 4\"]}");
        NodeClient.Reply died = gateway("GET", "/a/dies/", null);
        assertThat(died.status()).isEqualTo(503);
        assertThat(died.json().path("error").path("message").asText()).contains("exited before it was ready")
                .contains("exit status 4").contains("no config");
    }

    @Test
    void apiInvokeOfAnHttpArrowPostsTheInputToIt() throws Exception {
        deploy("api", "");
        NodeClient.Reply reply = client.invoke("api", "{\"n\":1}");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.text()).isEqualTo("echo:{\"n\":1} query:/");
    }

    @Test
    void languageRuntimesCallHandlersAndKeepTheirStateBetweenInvocations() throws Exception {
        byte[] python = """
                calls = 0
                def handler(event, context):
                    global calls
                    calls += 1
                    if event.get("fail"):
                        raise ValueError("asked to fail")
                    print("handling", context.invocation_id)
                    return {"calls": calls, "hello": event.get("name")}
                """.getBytes(StandardCharsets.UTF_8);
        byte[] node = """
                let calls = 0;
                exports.handler = async (event, context) => ({ calls: ++calls, id: context.invocationId.length > 0 });
                """.getBytes(StandardCharsets.UTF_8);
        NodeClient.Reply uploaded = client.post("/v1/bundles", "application/gzip", tarGz("main.py", python, "index.js", node));
        String code = uploaded.json().path("digest").asText();
        assertThat(client.deploy("{\"name\":\"py\",\"runtime\":\"python3\",\"handler\":\"main.handler\",\"bundle\":\""
                + code + "\"}").status()).isEqualTo(201);
        assertThat(client.deploy("{\"name\":\"js\",\"runtime\":\"node\",\"handler\":\"index.handler\",\"bundle\":\""
                + code + "\"}").status()).isEqualTo(201);

        NodeClient.Reply first = client.invoke("py", "{\"name\":\"arrow\"}");
        assertThat(first.status()).as(first.text()).isEqualTo(200);
        assertThat(first.json().path("calls").asInt()).isEqualTo(1);
        assertThat(first.json().path("hello").asText()).isEqualTo("arrow");
        assertThat(first.header("X-Arrow-Cold")).isEqualTo("true");
        NodeClient.Reply second = client.invoke("py", "{}");
        assertThat(second.json().path("calls").asInt()).isEqualTo(2);
        assertThat(second.header("X-Arrow-Cold")).isEqualTo("false");
        String id = second.header("X-Arrow-Invocation-Id");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(client.get("/v1/invocations/" + id + "/logs").text()).contains("handling " + id));

        NodeClient.Reply failed = client.invoke("py", "{\"fail\":true}");
        assertThat(failed.status()).isEqualTo(502);
        assertThat(failed.json().path("error").path("message").asText()).contains("ValueError: asked to fail");
        String failedId = failed.header("X-Arrow-Invocation-Id");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(client.get("/v1/invocations/" + failedId + "/logs").text()).contains("Traceback"));

        assertThat(client.invoke("js", "{}").json().path("calls").asInt()).isEqualTo(1);
        NodeClient.Reply again = client.invoke("js", "{}");
        assertThat(again.json().path("calls").asInt()).isEqualTo(2);
        assertThat(again.json().path("id").asBoolean()).isTrue();

        NodeClient.Reply bad = client.deploy("{\"name\":\"bad\",\"runtime\":\"python3\",\"handler\":\"../x\"}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("error").path("field").asText()).isEqualTo("handler");
        assertThat(client.deploy("{\"name\":\"bad\",\"runtime\":\"ruby\",\"handler\":\"x.y\"}").json()
                .path("error").path("field").asText()).isEqualTo("runtime");
    }

    private double metric(String name) throws Exception {
        String text = client.get("/metrics").text();
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : 0;
    }

    static byte[] tarGz(String name1, byte[] content1, String name2, byte[] content2) throws Exception {
        var bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (var file : List.of(new Object[] {name1, content1}, new Object[] {name2, content2})) {
                var entry = new TarArchiveEntry((String) file[0]);
                byte[] content = (byte[]) file[1];
                entry.setSize(content.length);
                tar.putArchiveEntry(entry);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
