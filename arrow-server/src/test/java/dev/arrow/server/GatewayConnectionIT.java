package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's lean path on the wire: a real node, real sandboxes and a python3 app, spoken to
 * byte for byte, so that keep-alive, pipelining, framing both ways and the hand-over to Jetty
 * are what a client really gets. One node and one warm instance serve all the tests.
 */
class GatewayConnectionIT {

    @TempDir
    static Path home;

    private static Node node;
    private static NodeClient client;
    private static String bundle;

    @BeforeAll
    static void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT));
        client = new NodeClient(node);
        byte[] app;
        try (InputStream in = GatewayConnectionIT.class.getResourceAsStream("wire.py")) {
            app = in.readAllBytes();
        }
        NodeClient.Reply uploaded = client.post("/v1/bundles", "application/gzip",
                HttpModeIT.tarGz("wire.py", app, "README", "a test app\n".getBytes(StandardCharsets.UTF_8)));
        bundle = uploaded.json().path("digest").asText();
        NodeClient.Reply deployed = client.deploy("{\"name\":\"wire\",\"mode\":\"http\",\"bundle\":\"" + bundle
                + "\",\"command\":[\"python3\",\"/code/wire.py\"],\"limits\":{\"timeout\":\"1s\"},"
                + "\"scaling\":{\"concurrency\":8,\"maxInstances\":1,\"minInstances\":1}}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(15)).until(() -> client.get("/metrics").text().contains("\narrow_instances 1.0\n"));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    private static WireClient connect() throws Exception {
        return new WireClient(node.port());
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: arrow.test\r\n\r\n";
    }


    @Test
    void keepsAConnectionAliveAcrossRequestsAndAnswersPipelinedOnesInOrder() throws Exception {
        try (WireClient wire = connect()) {
            for (int i = 0; i < 50; i++) {
                WireClient.Answer answer = wire.send(get("/a/wire/n/" + i)).read();
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.text()).isEqualTo("path /n/" + i);
                assertThat(answer.header("X-Arrow-Cold")).isEqualTo("false");
            }
            wire.send(get("/a/wire/p/1") + get("/a/wire/p/2") + get("/a/wire/p/3"));
            assertThat(wire.read().text()).isEqualTo("path /p/1");
            assertThat(wire.read().text()).isEqualTo("path /p/2");
            assertThat(wire.read().text()).isEqualTo("path /p/3");
        }
    }

    @Test
    void forwardsTheRestOfThePathTheQueryAndHeadersAndSetsTheForwardedOnes() throws Exception {
        try (WireClient wire = connect()) {
            WireClient.Answer answer = wire.send("GET /a/wire/headers/x?q=1&r=two HTTP/1.1\r\nHost: arrow.test\r\n"
                    + "X-Custom: kept\r\nX-Forwarded-For: 6.6.6.6\r\nArrow-Invocation-Id: forged\r\n"
                    + "Connection: keep-alive, X-Custom-Hop\r\nX-Custom-Hop: dropped\r\nTE: trailers\r\n\r\n").read();
            String seen = answer.text();
            assertThat(seen).startsWith("GET /headers/x?q=1&r=two HTTP/1.1\n");
            assertThat(seen).contains("X-Custom: kept", "X-Forwarded-For: 127.0.0.1", "X-Forwarded-Proto: http",
                    "X-Forwarded-Host: arrow.test", "X-Forwarded-Prefix: /a/wire",
                    "Arrow-Invocation-Id: " + answer.header("X-Arrow-Invocation-Id"));
            assertThat(seen).doesNotContain("6.6.6.6", "forged", "TE:", "Connection:", "X-Custom-Hop");
            // the app's hop-by-hop headers stay with it
            assertThat(answer.header("Keep-Alive")).isNull();
            assertThat(answer.header("Connection")).isNull();
            assertThat(answer.header("Content-Type")).isEqualTo("text/plain");

            JsonNode record = client.record(answer.header("X-Arrow-Invocation-Id"));
            assertThat(record.path("trigger").asText()).isEqualTo("http");
            assertThat(record.path("outcome").asText()).isEqualTo("exited");
            assertThat(record.path("outputBytes").asLong()).isEqualTo(answer.body().length);
        }
    }

    @Test
    void streamsBodiesBothWaysWithLengthOrInChunks() throws Exception {
        byte[] big = new byte[3 << 20];
        new java.util.Random(7).nextBytes(big);
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big));
        try (WireClient wire = connect()) {
            wire.send(("POST /a/wire/sha HTTP/1.1\r\nHost: t\r\nContent-Length: " + big.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            wire.send(big);
            assertThat(wire.read().text()).isEqualTo(big.length + " " + digest);

            wire.send("POST /a/wire/sha HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            assertThat(wire.read().text()).isEqualTo("11 " + sha256("hello world"));

            int size = 5 << 20; // many times the node's buffers: it must be carried piece by piece, each written before the next is read
            WireClient.Answer large = wire.send(get("/a/wire/big/" + size)).read();
            assertThat(large.body()).hasSize(size);
            for (int i = 0; i < size; i += 4099) {
                assertThat(large.body()[i]).isEqualTo((byte) (i % 256));
            }

            WireClient.Answer chunks = wire.send(get("/a/wire/chunks")).read();
            assertThat(chunks.chunked()).isTrue();
            assertThat(chunks.text()).isEqualTo("one two three");
            // and the connection is still good
            assertThat(wire.send(get("/a/wire/after")).read().text()).isEqualTo("path /after");
        }
    }

    @Test
    void answersWithoutABodyLeaveTheConnectionUsable() throws Exception {
        try (WireClient wire = connect()) {
            WireClient.Answer head = wire.send("HEAD /a/wire/x HTTP/1.1\r\nHost: t\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("1234");
            assertThat(wire.send(get("/a/wire/empty")).read().status()).isEqualTo(204);
            assertThat(wire.send(get("/a/wire/then")).read().text()).isEqualTo("path /then");
        }
    }

    @Test
    void handsEverythingElseToJettyWithTheBytesAlreadyRead() throws Exception {
        try (WireClient wire = connect()) {
            // a gateway request first, then the API on the same connection
            assertThat(wire.send(get("/a/wire/first")).read().text()).isEqualTo("path /first");
            WireClient.Answer health = wire.send(get("/healthz")).read();
            assertThat(health.status()).isEqualTo(200);
            // the connection is Jetty's now, and the gateway still answers through it
            assertThat(wire.send(get("/a/wire/second")).read().text()).isEqualTo("path /second");
        }
        try (WireClient wire = connect()) {
            // a large API upload: what the lean connection read of it reaches Jetty whole
            byte[] file = new byte[1 << 20];
            new java.util.Random(11).nextBytes(file);
            byte[] archive = HttpModeIT.tarGz("data.bin", file, "README", "x".getBytes(StandardCharsets.UTF_8));
            String token = java.nio.file.Files.readString(home.resolve("token")).strip();
            wire.send(("POST /v1/bundles HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/gzip\r\nContent-Length: " + archive.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)).send(archive);
            WireClient.Answer uploaded = wire.read();
            assertThat(uploaded.status()).as(uploaded.text()).isIn(200, 201);
            assertThat(NodeClient.JSON.readTree(uploaded.body()).path("digest").asText())
                    .isEqualTo(client.post("/v1/bundles", "application/gzip", archive).json().path("digest").asText());
        }
        try (WireClient wire = connect()) {
            WireClient.Answer old = wire.send("GET /a/wire/old HTTP/1.0\r\n\r\n").read();
            assertThat(old.status()).isEqualTo(200);
            assertThat(old.text()).isEqualTo("path /old");
        }
        try (WireClient wire = connect()) {
            WireClient.Answer expecting = wire.send("POST /a/wire/sha HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n").read();
            assertThat(expecting.status()).isEqualTo(100);
            assertThat(wire.send("hello").read().text()).isEqualTo("5 " + sha256("hello"));
        }
        try (WireClient wire = connect()) {
            WireClient.Answer bad = wire.send("GET /a/wire/x HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n").read();
            assertThat(bad.status()).isEqualTo(400);
        }
        try (WireClient wire = connect()) {
            WireClient.Answer name = wire.send(get("/a/Not_An_Arrow/x")).read();
            assertThat(name.status()).isEqualTo(400);
            assertThat(name.text()).contains("\"field\":\"arrow\"");
        }
    }

    @Test
    void requestsJettyReadsAreForwardedAsTheLeanPathForwardsThem() throws Exception {
        String headers = "Host: arrow.test\r\nX-Custom: kept\r\nX-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\n"
                + "Connection: keep-alive, X-Custom-Hop\r\nX-Custom-Hop: dropped\r\n\r\n";
        try (WireClient wire = connect()) {
            WireClient.Answer lean = wire.send("GET /a/wire/headers/x?q=1 HTTP/1.1\r\n" + headers).read();
            assertThat(wire.send(get("/healthz")).read().status()).isEqualTo(200); // Jetty's connection from here on
            WireClient.Answer jetty = wire.send("GET /a/wire/headers/x?q=1 HTTP/1.1\r\n" + headers).read();
            // an absolute URI is Jetty's too: its scheme is the client's word, not how it reached the node
            WireClient.Answer absolute = wire.send("GET https://arrow.test/a/wire/headers/x?q=1 HTTP/1.1\r\n" + headers).read();
            String seen = lean.text().replace(lean.header("X-Arrow-Invocation-Id"), "ID");
            assertThat(seen).contains("X-Forwarded-Proto: http\n", "X-Custom: kept").doesNotContain("6.6.6.6", "X-Custom-Hop");
            assertThat(jetty.text().replace(jetty.header("X-Arrow-Invocation-Id"), "ID")).isEqualTo(seen);
            assertThat(absolute.text().replace(absolute.header("X-Arrow-Invocation-Id"), "ID")).isEqualTo(seen);
            assertThat(jetty.header("X-Arrow-Cold")).isEqualTo("false");
            assertThat(jetty.header("Keep-Alive")).isNull();

            byte[] big = new byte[3 << 20];
            new java.util.Random(5).nextBytes(big);
            wire.send(("POST /a/wire/sha HTTP/1.1\r\nHost: t\r\nContent-Length: " + big.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)).send(big);
            assertThat(wire.read().text()).isEqualTo(big.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big)));
            wire.send("POST /a/wire/sha HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            assertThat(wire.read().text()).isEqualTo("11 " + sha256("hello world"));
            int size = 5 << 20;
            assertThat(wire.send(get("/a/wire/big/" + size)).read().body()).hasSize(size);
            assertThat(wire.send(get("/a/wire/chunks")).read().text()).isEqualTo("one two three");
            assertThat(wire.send("HEAD /a/wire/x HTTP/1.1\r\nHost: t\r\n\r\n").read(true).header("Content-Length")).isEqualTo("1234");

            WireClient.Answer late = wire.send(get("/a/wire/sleep")).read();
            assertThat(late.status()).isEqualTo(504);
            assertThat(late.text()).contains("\"code\":\"timed_out\"");
            assertThat(client.record(late.header("X-Arrow-Invocation-Id")).path("outcome").asText()).isEqualTo("timed-out");
            assertThat(wire.send(get("/a/wire/after")).read().text()).isEqualTo("path /after");
        }
    }

    @Test
    void errorsAreJsonAndKeepOrCloseTheConnectionAsTheyMust() throws Exception {
        try (WireClient wire = connect()) {
            WireClient.Answer missing = wire.send(get("/a/nosuch/x")).read();
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.header("Content-Type")).isEqualTo("application/json");
            assertThat(missing.text()).contains("\"code\":\"not_found\"");
            assertThat(wire.send(get("/a/wire/still")).read().text()).isEqualTo("path /still");

            WireClient.Answer late = wire.send(get("/a/wire/sleep")).read();
            assertThat(late.status()).isEqualTo(504);
            assertThat(late.text()).contains("\"code\":\"timed_out\"");
            assertThat(client.record(late.header("X-Arrow-Invocation-Id")).path("outcome").asText()).isEqualTo("timed-out");
            assertThat(wire.send(get("/a/wire/after-timeout")).read().text()).isEqualTo("path /after-timeout");
        }
        try (WireClient wire = connect()) {
            WireClient.Answer last = wire.send("GET /a/wire/bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").read();
            assertThat(last.text()).isEqualTo("path /bye");
            assertThat(last.header("Connection")).isEqualTo("close");
            assertThat(wire.closedByPeer()).isTrue();
        }
    }

    @Test
    void aClientThatLeavesMidRequestFreesItsSlot() throws Exception {
        try (WireClient wire = connect()) {
            // a body announced and never sent: the instance waits for it, the client goes away
            wire.send("POST /a/wire/sha HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part");
            Thread.sleep(200);
        }
        var abandoned = new java.util.concurrent.atomic.AtomicReference<JsonNode>();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            for (JsonNode record : client.get("/v1/invocations?arrow=wire&limit=20").json().path("invocations")) {
                if (record.path("error").asText().contains("the client closed the connection")) {
                    abandoned.set(record);
                    return true;
                }
            }
            return false;
        });
        assertThat(abandoned.get().path("status").asText()).isEqualTo("failed");
        assertThat(abandoned.get().path("outcome").asText()).isEqualTo("exited"); // not the instance's fault
        // every slot is free again: as many requests as the instance's concurrency at once go through
        var wires = new java.util.ArrayList<WireClient>();
        try {
            for (int i = 0; i < 8; i++) {
                wires.add(connect().send(get("/a/wire/c" + i)));
            }
            for (int i = 0; i < 8; i++) {
                WireClient.Answer answer = wires.get(i).read();
                assertThat(answer.header("X-Arrow-Cold")).as(answer.statusLine() + " " + answer.text()).isEqualTo("false");
                assertThat(answer.text()).isEqualTo("path /c" + i);
            }
        } finally {
            for (WireClient wire : wires) {
                wire.close();
            }
        }
    }

    @Test
    void aStoppingNodeClosesItsGatewayConnectionsInsteadOfWaitingOutItsGrace(@TempDir Path otherHome) throws Exception {
        Node stopping = Node.start(new NodeConfig("127.0.0.1", 0, otherHome, DispatchSettings.DEFAULT));
        try (WireClient wire = new WireClient(stopping.port())) {
            assertThat(wire.send(get("/a/nosuch/x")).read().status()).isEqualTo(404); // a lean connection, kept alive
            long start = System.nanoTime();
            stopping.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(wire.closedByPeer()).isTrue();
            // Jetty's graceful stop waits for every connection: one left open would hold it for the whole grace
            assertThat(took).isLessThan(DispatchSettings.DEFAULT.shutdownGrace());
        }
        // Nodes in one JVM share the sandbox driver and its spawner: the other node's end must not
        // touch this node's warm instance, nor its next connection.
        try (WireClient wire = connect()) {
            WireClient.Answer answer = wire.send(get("/a/wire/beside")).read();
            assertThat(answer.text()).isEqualTo("path /beside");
            assertThat(answer.header("X-Arrow-Cold")).isEqualTo("false");
        }
    }

    @Test
    void anInstanceThatDiesUnderAKeptAliveConnectionGetsItsClientAJsonAnswer() throws Exception {
        // an arrow of its own: the class's warm instance must stay warm for the other tests
        NodeClient.Reply deployed = client.deploy("{\"name\":\"mortal\",\"mode\":\"http\",\"bundle\":\"" + bundle
                + "\",\"command\":[\"python3\",\"/code/wire.py\"],\"limits\":{\"timeout\":\"5s\"},"
                + "\"scaling\":{\"concurrency\":8,\"maxInstances\":1}}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        try (WireClient wire = connect()) {
            for (int round = 0; round < 3; round++) {
                assertThat(wire.send(get("/a/mortal/before")).read().text()).isEqualTo("path /before");
                WireClient.Answer died = wire.send(get("/a/mortal/exit")).read();
                assertThat(died.status()).isEqualTo(502);
                assertThat(died.header("Content-Type")).isEqualTo("application/json");
                assertThat(died.text()).contains("\"code\":\"instance_failed\"");
                // the connection is still good: the next request gets a new instance
                assertThat(wire.send(get("/a/mortal/after")).read().text()).isEqualTo("path /after");
            }
        }
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
