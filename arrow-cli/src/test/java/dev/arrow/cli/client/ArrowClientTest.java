package dev.arrow.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.FakeNode.Answer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ArrowClient against a canned node that answers as docs/api.md says. */
class ArrowClientTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);
    private static final String ARROW = """
            {"name":"wordcount","latestRevision":3,"trafficRevision":3,"createdAt":"2026-01-01T00:00:00Z",
             "updatedAt":"2026-01-02T00:00:00Z","spec":{"name":"wordcount","mode":"exec","command":["wc"]}}""";

    private final FakeNode node;
    private final ArrowClient client;

    ArrowClientTest() throws IOException {
        node = new FakeNode();
        client = new ArrowClient(node.uri(), FakeNode.TOKEN);
    }

    @AfterEach
    void stop() {
        client.close();
        node.close();
    }

    @Test
    void uploadStreamsTheFileWithItsTypeAndTellsProgress(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("code.tar.gz");
        byte[] bytes = new byte[300_000];
        new java.util.Random(1).nextBytes(bytes);
        Files.write(archive, bytes);
        node.answerJson("POST /v1/bundles", 201,
                "{\"digest\":\"" + DIGEST + "\",\"files\":12,\"bytes\":3481,\"created\":true}");
        List<Long> progress = new ArrayList<>();

        Bundle bundle = client.uploadBundle(archive, ArrowClient.GZIP, progress::add);

        assertThat(bundle).isEqualTo(new Bundle(DIGEST, 12, 3481, true));
        FakeNode.Request request = node.last();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.header("Content-Type")).isEqualTo("application/gzip");
        assertThat(request.header("Authorization")).isEqualTo("Bearer test-token");
        assertThat(request.header("Content-Length")).isEqualTo("300000");
        assertThat(request.body()).isEqualTo(bytes);
        assertThat(progress).isNotEmpty().isSorted().last().isEqualTo(300_000L);
    }

    @Test
    void deploySendsTheSpecAsJson() throws Exception {
        node.answerJson("POST /v1/arrows", 201, ARROW);
        JsonNode spec = ArrowClient.object().put("name", "wordcount");

        JsonNode arrow = client.deploy(spec);

        assertThat(arrow.get("latestRevision").asInt()).isEqualTo(3);
        assertThat(node.last().header("Content-Type")).isEqualTo("application/json");
        assertThat(node.last().bodyText()).isEqualTo("{\"name\":\"wordcount\"}");
    }

    @Test
    void readCallsUseTheDocumentedPaths() throws Exception {
        node.answerJson("GET /v1/arrows", 200, "{\"arrows\":[]}")
                .answerJson("GET /v1/arrows/wordcount", 200, ARROW)
                .answerJson("GET /v1/arrows/wordcount/revisions", 200, "{\"revisions\":[]}")
                .answerJson("GET /v1/arrows/wordcount/revisions/2", 200, "{\"number\":2}")
                .answerJson("GET /v1/invocations?arrow=wordcount&status=failed&limit=5", 200,
                        "{\"invocations\":[],\"next\":null}")
                .answerJson("GET /v1/invocations", 200, "{\"invocations\":[],\"next\":null}")
                .answerJson("GET /v1/invocations/01abc", 200, "{\"id\":\"01abc\"}")
                .answer("GET /v1/invocations/01abc/logs", new Answer(200,
                        "oops\n".getBytes(StandardCharsets.UTF_8), "text/plain", Map.of()))
                .answer("GET /v1/invocations/01abc/output", new Answer(200, new byte[] {1, 2}, null, Map.of()))
                .answerJson("GET /v1/arrows/wordcount/logs?limit=3", 200, "{\"entries\":[]}")
                .answer("DELETE /v1/arrows/wordcount", new Answer(204, new byte[0], null, Map.of()));

        assertThat(client.listArrows().get("arrows").isArray()).isTrue();
        assertThat(client.arrow("wordcount").get("name").asText()).isEqualTo("wordcount");
        assertThat(client.revisions("wordcount").has("revisions")).isTrue();
        assertThat(client.revision("wordcount", 2).get("number").asInt()).isEqualTo(2);
        assertThat(client.invocations("wordcount", "failed", 5, null).has("invocations")).isTrue();
        assertThat(client.invocations(null, null, null, null).has("next")).isTrue();
        assertThat(client.invocation("01abc").get("id").asText()).isEqualTo("01abc");
        assertThat(client.invocationLogs("01abc")).isEqualTo("oops\n");
        assertThat(client.invocationOutput("01abc")).containsExactly(1, 2);
        assertThat(client.arrowLogs("wordcount", 3).has("entries")).isTrue();
        client.deleteArrow("wordcount");
        assertThat(node.last().method()).isEqualTo("DELETE");
        assertThat(node.requests()).allSatisfy(request ->
                assertThat(request.header("Authorization")).isEqualTo("Bearer test-token"));
    }

    @Test
    void namesAreEncodedAsOnePathSegment() throws Exception {
        assertThatThrownBy(() -> client.arrow("../invocations")).isInstanceOf(ApiException.class);
        assertThat(node.last().pathAndQuery()).isEqualTo("/v1/arrows/..%2Finvocations");
    }

    @Test
    void rollbackWithAndWithoutRevision() throws Exception {
        node.answerJson("POST /v1/arrows/wordcount/rollback", 200, ARROW);

        client.rollback("wordcount", 2);
        assertThat(node.last().bodyText()).isEqualTo("{\"revision\":2}");
        assertThat(node.last().header("Content-Type")).isEqualTo("application/json");

        client.rollback("wordcount", null);
        assertThat(node.last().body()).isEmpty();
    }

    @Test
    void syncInvokeAnswersTheOutputAndHeaders() throws Exception {
        node.answer("POST /v1/arrows/wordcount/invoke", new Answer(200, "3 words\n".getBytes(StandardCharsets.UTF_8),
                "application/octet-stream", Map.of("X-Arrow-Invocation-Id", "01abc", "X-Arrow-Cold", "true",
                        "X-Arrow-Duration-Ms", "12.4", "X-Arrow-Revision", "3")));

        InvokeResult result = client.invoke("wordcount", RequestBody.of("a b c"), false);

        assertThat(result.status()).isEqualTo(200);
        assertThat(new String(result.body(), StandardCharsets.UTF_8)).isEqualTo("3 words\n");
        assertThat(result.arrowHeaders()).containsExactly(
                Map.entry("X-Arrow-Invocation-Id", "01abc"), Map.entry("X-Arrow-Revision", "3"),
                Map.entry("X-Arrow-Cold", "true"), Map.entry("X-Arrow-Duration-Ms", "12.4"));
        assertThat(node.last().bodyText()).isEqualTo("a b c");
        assertThat(node.last().header("Content-Type")).isEqualTo("application/octet-stream");
    }

    @Test
    void asyncInvokeAsksForIt() throws Exception {
        node.answerJson("POST /v1/arrows/wordcount/invoke?async=true", 202, "{\"id\":\"01abc\",\"status\":\"queued\"}");

        InvokeResult result = client.invoke("wordcount", RequestBody.empty(), true);

        assertThat(result.status()).isEqualTo(202);
        assertThat(new String(result.body(), StandardCharsets.UTF_8)).contains("01abc");
    }

    @Test
    void failedInvocationIsAnApiExceptionWithTheWholeError() {
        node.answerJson("POST /v1/arrows/wordcount/invoke", 502, """
                {"error":{"code":"exited","message":"the program exited with status 3","exitCode":3,
                 "stderrTail":"Traceback\\n","invocation":{"id":"01abc","status":"failed"}}}""");

        assertThatThrownBy(() -> client.invoke("wordcount", RequestBody.empty(), false))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.code()).isEqualTo("exited");
                    assertThat(e.message()).isEqualTo("the program exited with status 3");
                    assertThat(e.error().get("stderrTail").asText()).isEqualTo("Traceback\n");
                    assertThat(e.error().at("/invocation/id").asText()).isEqualTo("01abc");
                });
    }

    @Test
    void errorBodiesBecomeApiExceptionsWithField() {
        node.answerJson("POST /v1/arrows", 400, """
                {"error":{"code":"invalid_input","message":"'12x' is not a size","field":"limits.memory"}}""");

        assertThatThrownBy(() -> client.deploy(ArrowClient.object()))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("invalid_input");
                    assertThat(e.message()).isEqualTo("'12x' is not a size");
                    assertThat(e.field()).contains("limits.memory");
                });
    }

    @Test
    void overloadCarriesRetryAfter() {
        node.answer("POST /v1/arrows/wordcount/invoke",
                Answer.error(429, "overloaded", "too many invocations").with("Retry-After", "3"));

        assertThatThrownBy(() -> client.invoke("wordcount", RequestBody.empty(), false))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo("overloaded");
                    assertThat(e.retryAfterSeconds()).hasValue(3);
                });
    }

    @Test
    void wrongTokenIs401Unauthorized() {
        try (var stranger = new ArrowClient(node.uri(), "wrong")) {
            assertThatThrownBy(stranger::listArrows)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.code()).isEqualTo("unauthorized");
                        assertThat(e.message()).isEqualTo("missing or invalid token");
                    });
        }
        assertThat(node.last().header("Authorization")).isEqualTo("Bearer wrong");
    }

    @Test
    void errorsWithoutJsonStillSayTheStatus() {
        node.answer("GET /v1/arrows", new Answer(503, "<html>down</html>".getBytes(StandardCharsets.UTF_8),
                "text/html", Map.of()));

        assertThatThrownBy(client::listArrows)
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo("http_503");
                    assertThat(e.message()).isEqualTo("the node answered HTTP 503 without details");
                });
    }

    @Test
    void connectionRefusedSaysToStartTheNode() throws IOException {
        int port;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        try (var nowhere = new ArrowClient(URI.create("http://127.0.0.1:" + port), "t")) {
            assertThatThrownBy(nowhere::listArrows)
                    .isInstanceOf(NodeUnreachableException.class)
                    .hasMessage("cannot reach the node at http://127.0.0.1:" + port + ": is `arrow serve` running?");
        }
    }

    @Test
    void nodeUrlsAreChecked() {
        assertThat(ArrowClient.nodeUri("http://127.0.0.1:7070")).hasToString("http://127.0.0.1:7070");
        assertThat(ArrowClient.nodeUri("https://arrow.example/prefix/")).hasHost("arrow.example");
        assertThatThrownBy(() -> ArrowClient.nodeUri("127.0.0.1:7070")).hasMessageContaining("not a node URL");
        assertThatThrownBy(() -> ArrowClient.nodeUri("ftp://x")).hasMessageContaining("not a node URL");
        assertThatThrownBy(() -> ArrowClient.nodeUri("http://x y")).hasMessageContaining("not a node URL");
    }

    @Test
    void aTrailingSlashOrPathPrefixIsKept() throws Exception {
        node.answerJson("GET /v1/arrows", 200, "{\"arrows\":[]}");
        try (var slashed = new ArrowClient(URI.create(node.uri() + "/"), FakeNode.TOKEN)) {
            slashed.listArrows();
        }
        assertThat(node.last().pathAndQuery()).isEqualTo("/v1/arrows");
    }

    /**
     * A node whose first {@code cuts} connections read the whole request and close without an
     * answer (a node killed mid-request), the next one answering 202; the request heads it saw.
     */
    private static final class CuttingNode implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        final List<String> heads = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Thread thread;

        CuttingNode(int cuts, boolean reset) throws IOException {
            thread = Thread.ofPlatform().daemon().start(() -> {
                for (int n = 0; !server.isClosed(); n++) {
                    try (var socket = server.accept()) {
                        var in = new java.io.BufferedInputStream(socket.getInputStream());
                        var head = new StringBuilder();
                        while (!head.toString().endsWith("\r\n\r\n")) {
                            head.append((char) in.read());
                        }
                        heads.add(head.toString());
                        var length = java.util.regex.Pattern.compile("Content-Length: (\\d+)").matcher(head);
                        in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
                        if (n < cuts) {
                            if (reset) {
                                socket.setSoLinger(true, 0); // RST rather than FIN
                            }
                            continue;
                        }
                        byte[] body = "{\"id\":\"01abc\",\"status\":\"queued\"}".getBytes(StandardCharsets.UTF_8);
                        socket.getOutputStream().write(("HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
                                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                        socket.getOutputStream().write(body);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort());
        }

        List<String> keys() {
            return heads.stream().map(head -> head.lines().filter(line -> line.startsWith("Idempotency-Key: "))
                    .findFirst().orElse("none")).toList();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void aKeyedInvokeCutOffBeforeItsAnswerIsSentAgainWithTheSameKey() throws Exception {
        for (boolean reset : new boolean[] {false, true}) {
            try (var cutting = new CuttingNode(2, reset);
                 var retrying = new ArrowClient(cutting.uri(), "t", List.of(java.time.Duration.ofMillis(10),
                         java.time.Duration.ofMillis(10)))) {
                InvokeResult result = retrying.invoke("wordcount", RequestBody.of("data"), true, "key-1");

                assertThat(result.status()).isEqualTo(202);
                assertThat(cutting.keys()).as("reset: " + reset).containsExactly(
                        "Idempotency-Key: key-1", "Idempotency-Key: key-1", "Idempotency-Key: key-1");
            }
        }
    }

    @Test
    void aKeyedRequestIsTriedThreeTimesAtMostAndAnUnkeyedOneOnce() throws Exception {
        var pauses = List.of(java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(10));
        try (var cutting = new CuttingNode(5, false); var retrying = new ArrowClient(cutting.uri(), "t", pauses)) {
            assertThatThrownBy(() -> retrying.invoke("wordcount", RequestBody.empty(), true, "key-2"))
                    .isInstanceOf(NodeUnreachableException.class).hasMessageContaining("lost the connection");
            assertThat(cutting.heads).hasSize(3);
        }
        try (var cutting = new CuttingNode(5, false); var once = new ArrowClient(cutting.uri(), "t", pauses)) {
            assertThatThrownBy(() -> once.invoke("wordcount", RequestBody.empty(), true))
                    .isInstanceOf(NodeUnreachableException.class);
            assertThat(cutting.keys()).containsExactly("none");
        }
    }

    @Test
    void aKeyedDeploySendsItsKeyAndAnErrorAnswerIsNotRetried() throws Exception {
        node.answer("POST /v1/arrows", Answer.error(422, "idempotency_key_reused", "used for another request"));

        assertThatThrownBy(() -> client.deploy(Json.object().put("name", "wordcount"), "deploy-key"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("idempotency_key_reused"));
        assertThat(node.requests()).hasSize(1);
        assertThat(node.last().header("Idempotency-Key")).isEqualTo("deploy-key");
    }
}
