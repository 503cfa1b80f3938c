package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.arrow.cli.client.FakeNode;
import dev.arrow.cli.client.FakeNode.Answer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node commands end to end in this JVM, against a canned node. */
class NodeCommandsTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);
    private static final Instant NOW = Instant.parse("2026-01-02T00:00:00Z");

    @TempDir
    Path dir;

    private final FakeNode node;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>();
    private byte[] stdin = new byte[0];
    private boolean terminal;

    NodeCommandsTest() throws IOException {
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
                new PrintStream(err, true), env, dir, terminal, Clock.fixed(NOW, ZoneOffset.UTC));
        return ArrowCli.run(context, args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static String arrowJson(String name, int latest, int traffic) {
        return "{\"name\":\"" + name + "\",\"latestRevision\":" + latest + ",\"trafficRevision\":" + traffic
                + ",\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T23:55:00Z\","
                + "\"spec\":{\"name\":\"" + name + "\",\"mode\":\"exec\",\"command\":[\"python3\",\"/code/wc.py\"],"
                + "\"env\":{\"LANG\":\"C.UTF-8\"},\"bundle\":\"" + DIGEST + "\",\"limits\":{\"memory\":134217728,"
                + "\"cpus\":1.0,\"pids\":128,\"timeout\":30000,\"tmpfs\":67108864},\"network\":\"none\","
                + "\"scaling\":{\"concurrency\":1,\"minInstances\":0,\"maxInstances\":10},"
                + "\"bindings\":{\"kv\":[\"counts\",\"words\"],\"queues\":[],\"buckets\":[\"texts\"]}}}";
    }

    @Test
    void deployFromOptionsPacksUploadsAndDeploys() throws IOException {
        Path code = Files.createDirectory(dir.resolve("code"));
        Files.writeString(code.resolve("wc.py"), "print(1)\n");
        node.answerJson("POST /v1/bundles", 201, "{\"digest\":\"" + DIGEST + "\",\"files\":12,\"bytes\":3481,\"created\":true}")
                .answerJson("POST /v1/arrows", 201, arrowJson("wordcount", 3, 3));

        int status = arrow("deploy", "wordcount", "--code", code.toString(), "--env", "LANG=C.UTF-8",
                "--memory", "128m", "--cpus", "0.5", "--pids", "64", "--timeout", "10s", "--tmpfs-size", "64m",
                "--network", "host", "--max-instances", "4", "--", "python3", "-u", "/code/wc.py");

        assertThat(status).as(err()).isZero();
        assertThat(out()).isEqualTo("deployed wordcount revision 3 (bundle sha256:abababababab… 12 files, 3.4KiB)\n");
        assertThat(node.requests()).extracting(FakeNode.Request::pathAndQuery).containsExactly("/v1/bundles", "/v1/arrows");
        assertThat(node.requests().getFirst().body()).startsWith(0x1f, 0x8b);
        assertThat(node.last().bodyText()).isEqualTo("{\"name\":\"wordcount\",\"command\":[\"python3\",\"-u\",\"/code/wc.py\"],"
                + "\"env\":{\"LANG\":\"C.UTF-8\"},\"limits\":{\"memory\":134217728,\"cpus\":0.5,\"pids\":64,"
                + "\"timeout\":10000,\"tmpfs\":67108864},\"network\":\"host\",\"scaling\":{\"maxInstances\":4},"
                + "\"bundle\":\"" + DIGEST + "\"}");
    }

    @Test
    void deployTakesTheIsolationTier() {
        node.answerJson("POST /v1/arrows", 201, arrowJson("boxed", 1, 1));

        assertThat(arrow("deploy", "boxed", "--isolation", "vm", "--", "cat")).as(err()).isZero();
        assertThat(node.last().bodyText()).isEqualTo("{\"name\":\"boxed\",\"command\":[\"cat\"],\"isolation\":\"vm\"}");
        assertThat(arrow("deploy", "boxed", "--isolation", "container", "--", "cat")).isEqualTo(125);
    }

    @Test
    void deployFromManifestDeploysEachArrow() throws IOException {
        Files.writeString(dir.resolve("arrow.yaml"), """
                name: one
                command: cat
                ---
                name: two
                command: [wc, -l]
                limits: {timeout: 10s}
                """);
        node.answerJson("POST /v1/arrows", 201, arrowJson("one", 1, 1));

        assertThat(arrow("deploy", "-f", dir.resolve("arrow.yaml").toString())).as(err()).isZero();
        assertThat(node.requests()).hasSize(2);
        assertThat(node.requests().get(1).bodyText())
                .isEqualTo("{\"name\":\"two\",\"command\":[\"wc\",\"-l\"],\"limits\":{\"timeout\":\"10s\"}}");
    }

    @Test
    void deployRejectedByTheNodeSaysWhichArrowAndField() throws IOException {
        Files.writeString(dir.resolve("arrow.yaml"), "name: one\ncommand: cat\nlimits: {memory: 12x}\n");
        node.answerJson("POST /v1/arrows", 400,
                "{\"error\":{\"code\":\"invalid_input\",\"message\":\"'12x' is not a size\",\"field\":\"limits.memory\"}}");

        assertThat(arrow("deploy", "-f", dir.resolve("arrow.yaml").toString())).isEqualTo(2);
        assertThat(err()).isEqualTo("arrow: " + dir.resolve("arrow.yaml") + ": one: '12x' is not a size (limits.memory)\n");
    }

    @Test
    void deployUsageErrors() {
        assertThat(arrow("deploy")).isEqualTo(125);
        assertThat(err()).startsWith("arrow: give -f FILE, or NAME and COMMAND");
        assertThat(arrow("deploy", "wordcount")).isEqualTo(125);
        assertThat(err()).contains("arrow: missing COMMAND");
        assertThat(arrow("deploy", "-f", "x.yaml", "--memory", "1m")).isEqualTo(125);
        assertThat(err()).contains("-f takes everything from the manifest");
        assertThat(arrow("deploy", "a", "--code", dir.resolve("nope").toString(), "--", "x")).isEqualTo(125);
        assertThat(err()).contains("--code " + dir.resolve("nope") + " does not exist");
        assertThat(node.requests()).isEmpty();
    }

    @Test
    void deployShowsUploadProgressOnATerminalForBundlesOverOneMebibyte() throws IOException {
        Path archive = randomFile(dir.resolve("big.tar.gz"), 1536 * 1024);
        node.answerJson("POST /v1/bundles", 201, "{\"digest\":\"" + DIGEST + "\",\"files\":1,\"bytes\":1572864}")
                .answerJson("POST /v1/arrows", 201, arrowJson("big", 1, 1));
        terminal = true;

        assertThat(arrow("deploy", "big", "--code", archive.toString(), "--", "cat")).as(err()).isZero();

        // The bar ends at 100% on a line of its own; the result goes to stdout.
        assertThat(ProgressBarTest.screen(err())).map(String::stripTrailing)
                .containsExactly("uploading big [" + "#".repeat(30) + "] 100% 1.5MiB/1.5MiB", "");
        assertThat(out()).startsWith("deployed big revision 1");
        assertThat(node.requests().getFirst().body()).hasSize(1536 * 1024);
    }

    @Test
    void deployShowsNoProgressWhenStderrIsNoTerminalOrTheBundleIsSmall() throws IOException {
        Path big = randomFile(dir.resolve("big.tar.gz"), 1536 * 1024);
        Path small = randomFile(dir.resolve("small.tar.gz"), 1024 * 1024); // not over the threshold
        node.answerJson("POST /v1/bundles", 201, "{\"digest\":\"" + DIGEST + "\",\"files\":1,\"bytes\":1}")
                .answerJson("POST /v1/arrows", 201, arrowJson("big", 1, 1));

        assertThat(arrow("deploy", "big", "--code", big.toString(), "--", "cat")).isZero();
        terminal = true;
        assertThat(arrow("deploy", "big", "--code", small.toString(), "--", "cat")).isZero();

        assertThat(err()).isEmpty();
        assertThat(node.requests()).extracting(FakeNode.Request::pathAndQuery)
                .containsExactly("/v1/bundles", "/v1/arrows", "/v1/bundles", "/v1/arrows");
    }

    @Test
    void aFailedUploadIsReportedBelowTheBar() throws IOException {
        Path archive = randomFile(dir.resolve("big.tar.gz"), 1536 * 1024);
        node.answer("POST /v1/bundles", Answer.error(507, "insufficient_storage", "disk full"));
        terminal = true;

        assertThat(arrow("deploy", "big", "--code", archive.toString(), "--", "cat")).isNotZero();

        List<String> screen = ProgressBarTest.screen(err());
        assertThat(screen).hasSize(3);
        assertThat(screen.get(0)).startsWith("uploading big [").contains("1.5MiB");
        assertThat(screen.get(1)).startsWith("arrow: big: upload of the code failed: ").contains("disk full");
        assertThat(node.requests()).extracting(FakeNode.Request::pathAndQuery).containsExactly("/v1/bundles");
    }

    private static Path randomFile(Path file, int size) throws IOException {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return Files.write(file, data);
    }

    @Test
    void invokeWritesTheOutputRawAndHeadersWhenVerbose() {
        stdin = "a b c".getBytes(StandardCharsets.UTF_8);
        node.answer("POST /v1/arrows/wordcount/invoke", new Answer(200, new byte[] {'3', '\n', (byte) 0xff},
                "application/octet-stream", Map.of("X-Arrow-Invocation-Id", "01abc", "X-Arrow-Billed-Ms", "13")));

        assertThat(arrow("invoke", "wordcount", "--data", "-", "-v")).isZero();
        assertThat(out.toByteArray()).containsExactly('3', '\n', (byte) 0xff);
        assertThat(err()).isEqualTo("X-Arrow-Invocation-Id: 01abc\nX-Arrow-Billed-Ms: 13\n");
        assertThat(node.last().bodyText()).isEqualTo("a b c");
    }

    @Test
    void invokeDataFromStringAndFile() throws IOException {
        node.answer("POST /v1/arrows/wordcount/invoke", new Answer(200, new byte[0], null, Map.of()));
        assertThat(arrow("invoke", "wordcount", "--data", "hello")).as(err()).isZero();
        assertThat(node.last().bodyText()).isEqualTo("hello");
        Files.writeString(dir.resolve("in.txt"), "from file");
        assertThat(arrow("invoke", "wordcount", "--data", "@" + dir.resolve("in.txt"))).isZero();
        assertThat(node.last().bodyText()).isEqualTo("from file");
        assertThat(arrow("invoke", "wordcount", "--data", "@" + dir.resolve("none"))).isEqualTo(125);
    }

    @Test
    void failedInvocationPrintsStderrTailAndExitsWithOne() {
        node.answerJson("POST /v1/arrows/wordcount/invoke", 502, """
                {"error":{"code":"exited","message":"the program exited with status 3","exitCode":3,
                 "stderrTail":"Traceback: boom","invocation":{"id":"01abc","status":"failed","exitCode":3}}}""");

        assertThat(arrow("invoke", "wordcount")).isEqualTo(1);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo("Traceback: boom\narrow: wordcount exited with status 3 (invocation 01abc)\n");
    }

    @Test
    void timedOutInvocationWithJsonPrintsTheError() {
        node.answerJson("POST /v1/arrows/wordcount/invoke", 504,
                "{\"error\":{\"code\":\"timed_out\",\"message\":\"timed out\",\"invocation\":{\"id\":\"01abc\"}}}");

        assertThat(arrow("invoke", "wordcount", "--json")).isEqualTo(1);
        assertThat(out()).contains("\"code\" : \"timed_out\"");
    }

    @Test
    void asyncInvokeSendsARandomIdempotencyKeyEachTime() {
        node.answerJson("POST /v1/arrows/wordcount/invoke?async=true", 202, "{\"id\":\"01abc\",\"status\":\"queued\"}");

        assertThat(arrow("invoke", "wordcount", "--async", "--data", "x")).as(err()).isZero();
        assertThat(arrow("invoke", "wordcount", "--async", "--data", "x")).isZero();

        List<String> keys = node.requests().stream().map(request -> request.header("Idempotency-Key")).toList();
        assertThat(keys).hasSize(2).doesNotContainNull().doesNotHaveDuplicates()
                .allSatisfy(key -> {
                    assertThat(java.util.UUID.fromString(key)).hasToString(key);
                    assertThat(java.util.UUID.fromString(key).version()).isEqualTo(4);
                    assertThat(java.util.UUID.fromString(key).variant()).isEqualTo(2);
                });
    }

    @Test
    void idempotencyKeyOptionIsSentOnInvokeAndDeployAndChecked() {
        node.answer("POST /v1/arrows/wordcount/invoke", new Answer(200, "3\n".getBytes(StandardCharsets.UTF_8),
                "application/octet-stream", Map.of("X-Arrow-Invocation-Id", "01abc", "Idempotent-Replayed", "true")));
        node.answerJson("POST /v1/arrows", 201, arrowJson("wordcount", 3, 3));

        assertThat(arrow("invoke", "wordcount", "--idempotency-key", "mine-1", "-v")).as(err()).isZero();
        assertThat(node.last().header("Idempotency-Key")).isEqualTo("mine-1");
        assertThat(err()).contains("Idempotent-Replayed: true");
        assertThat(arrow("invoke", "wordcount")).isZero();
        assertThat(node.last().header("Idempotency-Key")).as("a sync invoke has none by default").isNull();
        assertThat(arrow("deploy", "wordcount", "--idempotency-key", "deploy-1", "--", "wc")).as(err()).isZero();
        assertThat(node.last().header("Idempotency-Key")).isEqualTo("deploy-1");

        int requests = node.requests().size();
        assertThat(arrow("invoke", "wordcount", "--idempotency-key", "caf\u00e9")).isEqualTo(125);
        assertThat(arrow("invoke", "wordcount", "--idempotency-key", "")).isEqualTo(125);
        assertThat(arrow("deploy", "wordcount", "--idempotency-key", "k".repeat(256), "--", "wc")).isEqualTo(125);
        assertThat(node.requests()).hasSize(requests);
    }

    @Test
    void anInFlightOrReusedKeyIsARejectedRequest() {
        node.answer("POST /v1/arrows/wordcount/invoke", Answer.error(409, "idempotency_key_in_flight",
                "the request with Idempotency-Key 'k' is still in flight"));

        assertThat(arrow("invoke", "wordcount", "--idempotency-key", "k")).isEqualTo(2);
        assertThat(err()).contains("still in flight");
    }

    @Test
    void asyncPrintsTheId() {
        node.answerJson("POST /v1/arrows/wordcount/invoke?async=true", 202, "{\"id\":\"01abc\",\"status\":\"queued\"}");

        assertThat(arrow("invoke", "wordcount", "--async")).isZero();
        assertThat(out()).isEqualTo("01abc\n");
    }

    @Test
    void exitStatusesOfErrors() throws IOException {
        node.answer("POST /v1/arrows/busy/invoke", Answer.error(429, "overloaded", "queue full").with("Retry-After", "2"));
        node.answer("GET /v1/arrows", Answer.error(500, "internal", "disk full"));

        assertThat(arrow("invoke", "nosuch")).isEqualTo(3);
        assertThat(err()).isEqualTo("arrow: no route /v1/arrows/nosuch/invoke\n");
        assertThat(arrow("invoke", "busy")).isEqualTo(5);
        assertThat(err()).endsWith("arrow: the node is overloaded: queue full; retry in 2s\n");
        assertThat(arrow("ls")).isEqualTo(6);
        assertThat(err()).endsWith("arrow: the node failed: disk full (HTTP 500)\n");
        env.put("ARROW_TOKEN", "wrong");
        assertThat(arrow("ls")).isEqualTo(4);
        assertThat(err()).endsWith("arrow: the node refused the token: missing or invalid token"
                + " (check --token, ARROW_TOKEN or $ARROW_HOME/token)\n");
        env.remove("ARROW_TOKEN");
        assertThat(arrow("ls")).isEqualTo(4);
        assertThat(err()).endsWith(" does not exist; pass --token, set ARROW_TOKEN, or set ARROW_HOME to where"
                + " `arrow serve` wrote its token\n");
        assertThat(arrow("ls", "--token", FakeNode.TOKEN, "--node", "127.0.0.1")).isEqualTo(125);
        assertThat(err()).endsWith("arrow: '127.0.0.1' is not a node URL: use http://HOST:PORT, e.g. http://127.0.0.1:7070\n");
        assertThat(err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void unreachableNodeIs125() throws IOException {
        int port;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        env.put("ARROW_NODE", "http://127.0.0.1:" + port);

        assertThat(arrow("ls")).isEqualTo(125);
        assertThat(err()).isEqualTo("arrow: cannot reach the node at http://127.0.0.1:" + port
                + ": is `arrow serve` running?\n");
    }

    @Test
    void lsIsATable() {
        node.answerJson("GET /v1/arrows", 200, "{\"arrows\":[" + arrowJson("wordcount", 3, 2) + ","
                + arrowJson("a", 12, 12) + "]}");

        assertThat(arrow("ls")).isZero();
        assertThat(out()).isEqualTo("""
                NAME       REVISION  LATEST  CREATED  UPDATED
                wordcount         2       3  1d ago   5m ago
                a                12      12  1d ago   5m ago
                """);
        out.reset();
        assertThat(arrow("ls", "--json")).isZero();
        assertThat(out()).startsWith("{\n  \"arrows\" : [");
    }

    @Test
    void inspectShowsSpecAndRevisions() {
        node.answerJson("GET /v1/arrows/wordcount", 200, arrowJson("wordcount", 3, 2))
                .answerJson("GET /v1/arrows/wordcount/revisions", 200, "{\"revisions\":["
                        + "{\"number\":3,\"createdAt\":\"2026-01-01T23:00:00Z\",\"spec\":{\"command\":[\"wc\"]}},"
                        + "{\"number\":2,\"createdAt\":\"2026-01-01T22:00:00Z\",\"spec\":{\"command\":[\"cat\"],"
                        + "\"bundle\":\"" + DIGEST + "\"}}]}");

        assertThat(arrow("inspect", "wordcount")).isZero();
        assertThat(out()).isEqualTo("""
                name:      wordcount
                revision:  2 (latest 3)
                created:   1d ago
                updated:   5m ago
                mode:      exec
                command:   python3 /code/wc.py
                bundle:    %s
                env:       LANG=C.UTF-8
                limits:    memory 128MiB, cpus 1.0, pids 128, timeout 30s, tmpfs 64MiB
                network:   none
                isolation: process
                scaling:   concurrency 1, instances 0..10
                bindings:  kv counts, words; buckets texts
                triggers:  -

                REVISION  TRAFFIC  CREATED  BUNDLE                COMMAND
                       3           1h ago   -                     wc
                       2  *        2h ago   sha256:abababababab…  cat
                """.formatted(DIGEST));
    }

    @Test
    void rmAndRollback() {
        node.answer("DELETE /v1/arrows/a", new Answer(204, new byte[0], null, Map.of()))
                .answerJson("POST /v1/arrows/wordcount/rollback", 200, arrowJson("wordcount", 3, 2));

        assertThat(arrow("rm", "a")).isZero();
        assertThat(arrow("rollback", "wordcount", "2")).isZero();
        assertThat(node.last().bodyText()).isEqualTo("{\"revision\":2}");
        assertThat(out()).isEqualTo("deleted a\nwordcount: traffic on revision 2 (latest 3)\n");
        assertThat(arrow("rm", "b")).isEqualTo(3);
    }

    @Test
    void invocationsTableAndNextPageHint() {
        node.answerJson("GET /v1/invocations?arrow=wordcount&status=failed&limit=2", 200, """
                {"invocations":[
                 {"id":"01c","arrow":"wordcount","revision":3,"trigger":"sync","status":"succeeded",
                  "acceptedAt":"2026-01-01T23:59:55Z","cold":true,"durationMs":2500.0,"outcome":"exited","exitCode":0,
                  "billedMs":2500,"peakMemoryBytes":3391488,"isolation":"vm","accelerator":"tcg"},
                 {"id":"01b","arrow":"wordcount","revision":3,"trigger":"sync","status":"failed",
                  "acceptedAt":"2026-01-01T23:59:50Z","cold":false,"durationMs":1250.0,"outcome":"exited","exitCode":3,
                  "billedMs":1251,"peakMemoryBytes":3391488,"isolation":"process"},
                 {"id":"01a","arrow":"wordcount","revision":3,"trigger":"async","status":"queued",
                  "acceptedAt":"2026-01-01T23:59:00Z"}],
                 "next":"01a"}""");

        assertThat(arrow("invocations", "wordcount", "--status", "failed", "--limit", "2")).as(err()).isZero();
        assertThat(out()).isEqualTo("""
                ID   ARROW      REV  TRIGGER  STATUS     OUTCOME   DURATION  BILLED  MEMORY  COLD  ISOLATION  ACCEPTED
                01c  wordcount    3  sync     succeeded  exited 0      2.5s    2.5s  3.2MiB  cold  vm (tcg)   5s ago
                01b  wordcount    3  sync     failed     exited 3     1.25s   1.25s  3.2MiB  warm  process    10s ago
                01a  wordcount    3  async    queued     -                -       -       -  -     -          1m ago
                """);
        assertThat(err()).isEqualTo("more: arrow invocations wordcount --status failed --limit 2 --before 01a\n");
    }

    @Test
    void logsOldestFirst() {
        node.answerJson("GET /v1/arrows/wordcount/logs", 200, """
                {"entries":[
                 {"id":"01b","acceptedAt":"2026-01-01T23:59:50Z","status":"failed","log":"boom"},
                 {"id":"01a","acceptedAt":"2026-01-01T23:59:00Z","status":"succeeded","log":""}]}""")
                .answer("GET /v1/invocations/01b/logs", new Answer(200, "boom\n".getBytes(StandardCharsets.UTF_8),
                        "text/plain", Map.of()));

        assertThat(arrow("logs", "wordcount")).isZero();
        assertThat(out()).isEqualTo("==> 01a succeeded, 1m ago <==\n==> 01b failed, 10s ago <==\nboom\n");
        out.reset();
        assertThat(arrow("logs", "--invocation", "01b")).isZero();
        assertThat(out()).isEqualTo("boom\n");
        assertThat(arrow("logs", "wordcount", "--invocation", "01b")).isEqualTo(125);
    }

    /** A page of {@code GET /v1/invocations}, newest first, from "id:status" pairs. */
    private static Answer invocationsPage(String... records) {
        var page = new StringBuilder("{\"invocations\":[");
        for (String record : records) {
            String[] parts = record.split(":");
            page.append(page.charAt(page.length() - 1) == '[' ? "" : ",")
                    .append("{\"id\":\"").append(parts[0]).append("\",\"arrow\":\"wordcount\",\"status\":\"")
                    .append(parts[1]).append("\",\"acceptedAt\":\"2026-01-01T23:59:50Z\"}");
        }
        return Answer.json(200, page.append("]}").toString());
    }

    private void logOf(String id) {
        node.answer("GET /v1/invocations/" + id + "/logs",
                new Answer(200, ("log of " + id + "\n").getBytes(StandardCharsets.UTF_8), "text/plain", Map.of()));
    }

    private static final String FOLLOW_POLL = "GET /v1/invocations?arrow=wordcount&limit=200";

    @Test
    void followPrintsEachInvocationOnceWhenItHasFinished() {
        List.of("01", "02", "03", "04", "05").forEach(this::logOf);
        node.answerInTurn(FOLLOW_POLL,
                invocationsPage("03:running", "02:succeeded", "01:succeeded"),
                invocationsPage("04:queued", "03:failed", "02:succeeded", "01:succeeded"),
                invocationsPage("05:succeeded", "04:succeeded", "03:failed", "02:succeeded", "01:succeeded"),
                invocationsPage("05:succeeded", "04:succeeded", "03:failed", "02:succeeded", "01:succeeded"));

        assertThat(arrow("logs", "wordcount", "-f", "-n", "1", "--interval", "0", "--max-polls", "4")).as(err()).isZero();

        // 02 is the backlog of one; 03 was running when following started, 04 and 05 came after.
        assertThat(out()).isEqualTo("""
                ==> 02 succeeded, 10s ago <==
                log of 02
                ==> 03 failed, 10s ago <==
                log of 03
                ==> 04 succeeded, 10s ago <==
                log of 04
                ==> 05 succeeded, 10s ago <==
                log of 05
                """);
        assertThat(err()).isEmpty();
        assertThat(node.requests()).extracting(FakeNode.Request::pathAndQuery).containsExactly(
                "/v1/invocations?arrow=wordcount&limit=200", "/v1/invocations/02/logs",
                "/v1/invocations?arrow=wordcount&limit=200", "/v1/invocations/03/logs",
                "/v1/invocations?arrow=wordcount&limit=200", "/v1/invocations/04/logs", "/v1/invocations/05/logs",
                "/v1/invocations?arrow=wordcount&limit=200");
    }

    @Test
    void followWithJsonPrintsOneObjectPerLine() {
        logOf("01");
        node.answerInTurn(FOLLOW_POLL, invocationsPage("02:running", "01:failed"));

        assertThat(arrow("logs", "wordcount", "-f", "--json", "--max-polls", "1")).as(err()).isZero();

        assertThat(out()).isEqualTo("{\"id\":\"01\",\"acceptedAt\":\"2026-01-01T23:59:50Z\",\"status\":\"failed\","
                + "\"log\":\"log of 01\\n\"}\n");
    }

    @Test
    void followEndsCleanlyWhenInterrupted() {
        logOf("01");
        node.answer(FOLLOW_POLL, invocationsPage("01:succeeded"));
        var status = new AtomicInteger(-1);
        Thread follower = Thread.ofPlatform().start(
                () -> status.set(arrow("logs", "wordcount", "-f", "--interval", "10")));
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> node.requests().size() >= 3);
        } finally {
            follower.interrupt();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !follower.isAlive());

        assertThat(status).hasValue(0);
        assertThat(err()).isEmpty();
        assertThat(out()).isEqualTo("==> 01 succeeded, 10s ago <==\nlog of 01\n");
    }

    @Test
    void helpOfNodeCommandsHasTheExitStatusTable() {
        for (String command : new String[] {"deploy", "invoke", "ls", "inspect", "rm", "rollback", "invocations", "logs"}) {
            out.reset();
            assertThat(arrow(command, "--help")).isZero();
            assertThat(out()).contains("Exit status:").contains("  3    not found").contains("--node=URL");
        }
    }
}
