package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arrows reaching the node's services from inside real sandboxes, on the node's Unix socket: the
 * python3 and node clients, curl from a shell exec arrow, bindings enforced, tokens that work only
 * on the socket and only while their sandbox lives.
 */
class SandboxApiIT {

    private static final String BINDINGS = "\"bindings\":{\"kv\":[\"carts\"],\"queues\":[\"orders\"],\"buckets\":[\"images\"]}";

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;
    private Path socket;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(1));
        client = new NodeClient(node);
        socket = home.resolve("run").resolve("api.sock");
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void pythonHandlerUsesItsBoundStoreAndQueueAndIsRefusedAnUnboundStore() throws Exception {
        byte[] main = """
                import arrow

                def handler(event, context):
                    carts = arrow.kv("carts")
                    revision = carts.put("cart/1", "apples")
                    carts.put("cart/2", {"pears": 2})
                    orders = arrow.queue("orders")
                    orders.send({"order": 7})
                    orders.send("plain")
                    received = orders.receive(10, 1)
                    for message in received:
                        orders.delete(message)
                    try:
                        arrow.kv("secrets").get("x")
                        refused = None
                    except arrow.ArrowError as e:
                        refused = {"status": e.status, "code": e.code, "field": e.field, "message": e.message}
                    images = arrow.bucket("images")
                    images.put("cats/tom.png", b"\\x89PNG-tom", "image/png")
                    images.put("cats/kit.png", b"\\x89PNG-kit", "image/png")
                    images.put("dogs/rex.png", b"\\x89PNG-rex", "image/png")
                    images.delete("cats/kit.png")
                    objects = {"tom": images.get("cats/tom.png").decode("latin-1"), "kit": images.get("cats/kit.png"),
                               "cats": images.list("cats/")}
                    try:
                        arrow.bucket("private").put("a.png", b"\\x89PNG", "image/png")
                        bucket = None
                    except arrow.ArrowError as e:
                        bucket = {"status": e.status, "field": e.field, "message": e.message}
                    return {
                        "bucket": bucket,
                        "objects": objects,
                        "revision": revision,
                        "got": carts.get("cart/1"),
                        "json": carts.get_json("cart/2"),
                        "missing": carts.get("nope"),
                        "keys": carts.list("cart/"),
                        "received": sorted(m["body"] for m in received),
                        "refused": refused,
                    }
                """.getBytes(StandardCharsets.UTF_8);
        deployHandler("shop-py", "python3", "main.handler", "main.py", main);

        NodeClient.Reply reply = client.invoke("shop-py", "{}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        JsonNode out = reply.json();
        assertThat(out.path("revision").asLong()).isPositive();
        assertThat(out.path("got").asText()).isEqualTo("apples");
        assertThat(out.path("json").path("pears").asInt()).isEqualTo(2);
        assertThat(out.path("missing").isNull()).isTrue();
        assertThat(texts(out.path("keys"))).containsExactly("cart/1", "cart/2");
        assertThat(texts(out.path("received"))).containsExactly("plain", "{\"order\": 7}");
        assertRefusedStore(out.path("refused"), "secrets");
        assertThat(out.path("bucket").path("status").asInt()).as(out.toString()).isEqualTo(403);
        assertThat(out.path("bucket").path("field").asText()).isEqualTo("bucket");
        assertThat(out.path("bucket").path("message").asText()).contains("'private'");
        assertThat(out.path("objects").path("tom").asText()).isEqualTo("\u0089PNG-tom");
        assertThat(out.path("objects").path("kit").isNull()).isTrue();
        assertThat(texts(out.path("objects").path("cats"))).containsExactly("cats/tom.png");

        // What the arrow wrote is what users see through REST.
        NodeClient.Reply png = client.get("/v1/buckets/images/objects/dogs/rex.png");
        assertThat(png.status()).isEqualTo(200);
        assertThat(png.text()).endsWith("PNG-rex");
        assertThat(client.get("/v1/kv/carts/keys/cart/1").text()).isEqualTo("apples");
        assertThat(client.postJson("/v1/queues/orders/receive", "{\"maxMessages\":10}").json()
                .path("messages").size()).isZero();
        assertThat(client.get("/v1/kv/secrets").status()).isEqualTo(404); // refused before anything was made
    }

    @Test
    void nodeHandlerUsesItsBoundStoreAndQueueAndIsRefusedAnUnboundStore() throws Exception {
        byte[] index = """
                const arrow = require('arrow');
                exports.handler = async () => {
                  const carts = arrow.kv('carts');
                  const revision = await carts.put('cart/1', 'apples');
                  const orders = arrow.queue('orders');
                  await orders.send({ order: 7 });
                  const received = await orders.receive(10, 1);
                  for (const message of received) {
                    await orders.delete(message);
                  }
                  let conflict = null;
                  try {
                    await carts.put('cart/1', 'pears', { create: true });
                  } catch (e) {
                    conflict = e.code;
                  }
                  const entry = await carts.getEntry('cart/1');
                  await carts.put('cart/1', 'plums', { revision: entry.revision });
                  let refused = null;
                  try {
                    await arrow.kv('secrets').put('x', 'y');
                  } catch (e) {
                    refused = { status: e.status, code: e.code, field: e.field, message: e.detail };
                  }
                  return {
                    revision,
                    conflict,
                    entryRevision: entry.revision,
                    got: await carts.get('cart/1'),
                    missing: await carts.get('nope'),
                    keys: await carts.list('cart/'),
                    received: received.map((m) => m.body),
                    refused,
                  };
                };
                """.getBytes(StandardCharsets.UTF_8);
        deployHandler("shop-js", "node", "index.handler", "index.js", index);

        NodeClient.Reply reply = client.invoke("shop-js", "{}");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        JsonNode out = reply.json();
        assertThat(out.path("revision").asLong()).isPositive();
        assertThat(out.path("conflict").asText()).isEqualTo("precondition_failed");
        assertThat(out.path("entryRevision").asLong()).isEqualTo(out.path("revision").asLong());
        assertThat(out.path("got").asText()).isEqualTo("plums");
        assertThat(out.path("missing").isNull()).isTrue();
        assertThat(texts(out.path("keys"))).containsExactly("cart/1");
        assertThat(texts(out.path("received"))).containsExactly("{\"order\":7}");
        assertRefusedStore(out.path("refused"), "secrets");
        assertThat(client.get("/v1/kv/carts/keys/cart/1").text()).isEqualTo("plums");
        assertThat(client.get("/v1/kv/secrets").status()).isEqualTo(404);
    }

    @Test
    void theVisitsExampleCountsEveryVisitOnce() throws Exception {
        Path example = Path.of("..", "examples", "visits");
        assertThat(Files.readString(example.resolve("arrow.yaml"))).contains("kv: [visits]");
        NodeClient.Reply uploaded = client.post("/v1/bundles", "application/gzip",
                HttpModeIT.tarGz("main.py", Files.readAllBytes(example.resolve("src/main.py")), "README", new byte[0]));
        NodeClient.Reply deployed = client.deploy("{\"name\":\"visits\",\"runtime\":\"python3\",\"handler\":"
                + "\"main.handler\",\"bundle\":\"" + uploaded.json().path("digest").asText()
                + "\",\"bindings\":{\"kv\":[\"visits\"]}}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        for (int visit = 1; visit <= 3; visit++) {
            NodeClient.Reply reply = client.invoke("visits", "{\"page\":\"about\"}");
            assertThat(reply.status()).as(reply.text()).isEqualTo(200);
            assertThat(reply.json().path("visits").asInt()).isEqualTo(visit);
        }
        assertThat(client.invoke("visits", "{}").json().path("page").asText()).isEqualTo("home");
        assertThat(client.get("/v1/kv/visits/keys/about").text()).isEqualTo("3");
    }

    @Test
    void shellExecArrowUsesCurlOnTheSocketWithoutNetwork() throws Exception {
        String script = """
                api() { curl -s --unix-socket "$ARROW_API_SOCKET" -H "Authorization: Bearer $ARROW_TOKEN" "$@"; }
                api -X PUT --data-binary @- http://arrow/v1/kv/carts/keys/from-shell
                echo
                api -X POST --data-binary 'shipped' http://arrow/v1/queues/orders/messages > /dev/null
                api -o /dev/null -w '%{http_code}\\n' http://arrow/v1/kv/carts/keys/from-shell
                api -w '\\n%{http_code}\\n' http://arrow/v1/kv/secrets/keys/x
                api -o /dev/null -w '%{http_code}\\n' http://arrow/v1/kv
                api -o /dev/null -w '%{http_code}\\n' http://arrow/v1/arrows
                """;
        deployExec("shell-api", script, BINDINGS);

        NodeClient.Reply reply = client.invoke("shell-api", "from stdin");
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        List<String> lines = reply.text().lines().toList();
        assertThat(NodeClient.JSON.readTree(lines.get(0)).path("revision").asLong()).isPositive();
        assertThat(lines.get(1)).isEqualTo("200");
        JsonNode refused = NodeClient.JSON.readTree(lines.get(2)).path("error");
        assertThat(refused.path("code").asText()).isEqualTo("forbidden");
        assertThat(refused.path("field").asText()).isEqualTo("store");
        assertThat(refused.path("message").asText()).contains("'secrets'");
        assertThat(lines.subList(3, lines.size())).containsExactly("403", "403", "403");

        assertThat(client.get("/v1/kv/carts/keys/from-shell").text()).isEqualTo("from stdin");
        assertThat(client.postJson("/v1/queues/orders/receive", "{}").json().path("messages").get(0)
                .path("body").asText()).isEqualTo("shipped");
    }

    @Test
    void aTokenCapturedByAnInvocationIsRefusedOnceItHasEnded() throws Exception {
        // The arrow leaks its own token into a value it may write; the token must die with the sandbox.
        String script = """
                printf %s "$ARROW_TOKEN" | curl -s -o /dev/null --unix-socket "$ARROW_API_SOCKET" \\
                    -H "Authorization: Bearer $ARROW_TOKEN" -X PUT --data-binary @- http://arrow/v1/kv/carts/keys/leaked
                curl -s -o /dev/null -w '%{http_code}' --unix-socket "$ARROW_API_SOCKET" \\
                    -H "Authorization: Bearer $ARROW_TOKEN" http://arrow/v1/kv/carts/keys/leaked
                """;
        deployExec("leaky", script, BINDINGS);
        NodeClient.Reply reply = client.invoke("leaky", "");
        assertThat(reply.text()).isEqualTo("200"); // it worked while the invocation ran
        String leaked = client.get("/v1/kv/carts/keys/leaked").text();
        assertThat(leaked).startsWith("ast_");

        Curl after = curlSocket("GET", "/v1/kv/carts/keys/leaked", leaked);
        assertThat(after.status()).isEqualTo(401);
        assertThat(after.json().path("error").path("message").asText()).contains("sandbox token");
        assertThat(sandboxTokensLive()).isZero();
    }

    @Test
    void aWarmInstancesTokenWorksOnlyOnTheSocketAndOnlyWhileTheInstanceLives() throws Exception {
        byte[] main = """
                import os
                def handler(event, context):
                    return {"token": os.environ["ARROW_TOKEN"], "socket": os.environ["ARROW_API_SOCKET"]}
                """.getBytes(StandardCharsets.UTF_8);
        deployHandler("talker", "python3", "main.handler", "main.py", main);
        JsonNode out = client.invoke("talker", "{}").json();
        assertThat(out.path("socket").asText()).isEqualTo("/run/arrow/api.sock");
        String token = out.path("token").asText();
        assertThat(sandboxTokensLive()).isEqualTo(1.0);

        Curl onSocket = curlSocket("PUT", "/v1/kv/carts/keys/k", token);
        assertThat(onSocket.status()).as(onSocket.body()).isEqualTo(201);
        Curl notBound = curlSocket("GET", "/v1/queues/payments", token);
        assertThat(notBound.status()).isEqualTo(403);
        assertThat(notBound.json().path("error").path("field").asText()).isEqualTo("queue");
        assertThat(notBound.json().path("error").path("message").asText()).contains("'payments'");

        // Dot segments are resolved before the store is judged: they cannot climb from a bound store to another.
        Curl climbing = curlSocket("GET", "/v1/kv/carts/keys/../../secrets/keys/k", token);
        assertThat(climbing.status()).as(climbing.body()).isIn(400, 403);
        if (climbing.status() == 403) {
            assertThat(climbing.json().path("error").path("message").asText()).contains("'secrets'");
        }

        NodeClient.Reply onTcp = client.send("GET", "/v1/kv/carts/keys/k", null, null, token);
        assertThat(onTcp.status()).isEqualTo(401);
        assertThat(onTcp.json().path("error").path("message").asText()).contains("socket");

        // The instance ends with its arrow: its token with it.
        assertThat(client.delete("/v1/arrows/talker").status()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(20)).until(() -> curlSocket("GET", "/v1/kv/carts/keys/k", token).status() == 401);
        assertThat(sandboxTokensLive()).isZero();
    }

    @Test
    void theSocketRefusesTheOperatorsTokenAndAnyRequestWithoutASandboxToken() throws Exception {
        assertThat(Files.getPosixFilePermissions(socket)).extracting(Object::toString)
                .contains("OTHERS_READ", "OTHERS_WRITE");
        String operator = Files.readString(home.resolve("token")).strip();
        Curl refused = curlSocket("GET", "/v1/kv", operator);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("error").path("message").asText()).contains("operator");
        assertThat(curlSocket("GET", "/v1/kv", null).status()).isEqualTo(401);
        assertThat(curlSocket("GET", "/v1/kv", "ast_made.up").status()).isEqualTo(401);
        // The operator's token still works on TCP.
        assertThat(client.get("/v1/kv").status()).isEqualTo(200);
    }

    @Test
    void bindingsAreValidatedStoredAndShown() throws Exception {
        NodeClient.Reply bad = client.deploy("{\"name\":\"b\",\"command\":[\"true\"],\"bindings\":{\"kv\":[\"ok\",\"Not_Valid\"]}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("error").path("field").asText()).isEqualTo("bindings.kv[1]");
        NodeClient.Reply unknown = client.deploy("{\"name\":\"b\",\"command\":[\"true\"],\"bindings\":{\"tables\":[]}}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("error").path("field").asText()).isEqualTo("bindings.tables");
        NodeClient.Reply notList = client.deploy("{\"name\":\"b\",\"command\":[\"true\"],\"bindings\":{\"queues\":\"q\"}}");
        assertThat(notList.json().path("error").path("field").asText()).isEqualTo("bindings.queues");

        assertThat(client.deploy("{\"name\":\"b\",\"command\":[\"true\"],\"bindings\":{\"kv\":[\"carts\"],"
                + "\"buckets\":[\"images.v2\"]}}").status()).isEqualTo(201);
        node.close();
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(1));
        client = new NodeClient(node);
        JsonNode bindings = client.get("/v1/arrows/b").json().path("spec").path("bindings");
        assertThat(texts(bindings.path("kv"))).containsExactly("carts");
        assertThat(texts(bindings.path("queues"))).isEmpty();
        assertThat(texts(bindings.path("buckets"))).containsExactly("images.v2");
    }

    private void deployHandler(String name, String runtime, String handler, String file, byte[] code) throws Exception {
        NodeClient.Reply uploaded = client.post("/v1/bundles", "application/gzip",
                HttpModeIT.tarGz(file, code, "README", new byte[0]));
        String digest = uploaded.json().path("digest").asText();
        NodeClient.Reply deployed = client.deploy("{\"name\":\"" + name + "\",\"runtime\":\"" + runtime
                + "\",\"handler\":\"" + handler + "\",\"bundle\":\"" + digest + "\"," + BINDINGS + "}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
    }

    private void deployExec(String name, String script, String bindings) throws Exception {
        var body = NodeClient.JSON.createObjectNode();
        body.put("name", name);
        body.putArray("command").add("sh").add("-c").add(script);
        var spec = NodeClient.JSON.readTree("{" + bindings + "}");
        body.set("bindings", spec.get("bindings"));
        NodeClient.Reply deployed = client.deploy(body.toString());
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
    }

    private static void assertRefusedStore(JsonNode refused, String store) {
        assertThat(refused.path("status").asInt()).as(refused.toString()).isEqualTo(403);
        assertThat(refused.path("code").asText()).isEqualTo("forbidden");
        assertThat(refused.path("field").asText()).isEqualTo("store");
        assertThat(refused.path("message").asText()).contains("'" + store + "'");
    }

    private static List<String> texts(JsonNode array) {
        var texts = new ArrayList<String>();
        array.forEach(item -> texts.add(item.asText()));
        return texts;
    }

    private double sandboxTokensLive() throws Exception {
        for (String line : client.send("GET", "/metrics", null, null, null).text().lines().toList()) {
            if (line.startsWith("arrow_sandbox_tokens ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        throw new AssertionError("no arrow_sandbox_tokens in /metrics");
    }

    record Curl(int status, String body) {
        JsonNode json() throws IOException {
            return NodeClient.JSON.readTree(body);
        }
    }

    /** A request on the node's socket from outside any sandbox, with curl as an arrow would make it. */
    private Curl curlSocket(String method, String path, String token) throws Exception {
        var command = new ArrayList<>(List.of("curl", "-s", "--path-as-is", "--unix-socket", socket.toString(), "-X", method,
                "-w", "\n%{http_code}"));
        if (token != null) {
            command.addAll(List.of("-H", "Authorization: Bearer " + token));
        }
        if (method.equals("PUT")) {
            command.addAll(List.of("--data-binary", "v"));
        }
        command.add("http://arrow" + path);
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try {
            output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            curl.waitFor();
        }
        int newline = output.lastIndexOf('\n');
        return new Curl(Integer.parseInt(output.substring(newline + 1).strip()), output.substring(0, newline));
    }
}
