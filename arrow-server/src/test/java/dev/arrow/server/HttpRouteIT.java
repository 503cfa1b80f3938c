package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gateway routes that http-mode arrows claim, on a real node with a real python3 app. */
class HttpRouteIT {

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;
    private String bundle;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(0));
        client = new NodeClient(node);
        byte[] app;
        try (InputStream in = HttpRouteIT.class.getResourceAsStream("app.py")) {
            app = in.readAllBytes();
        }
        NodeClient.Reply uploaded = client.post("/v1/bundles", "application/gzip", HttpModeIT.tarGz("app.py", app,
                "site/index.html", "<h1>hello</h1>\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(uploaded.status()).isIn(200, 201);
        bundle = uploaded.json().path("digest").asText();
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private NodeClient.Reply deploy(String name, String mode, String triggers) throws Exception {
        return client.deploy("{\"name\":\"" + name + "\",\"mode\":\"" + mode + "\",\"bundle\":\"" + bundle
                + "\",\"command\":[\"python3\",\"/code/app.py\"],\"triggers\":" + triggers + "}");
    }

    private NodeClient.Reply request(String method, String path, String body) throws Exception {
        return client.send(method, path, body == null ? null : "text/plain",
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), null);
    }

    /** A request written by hand, for what Java's client will not send (a Host of our own, HTTP/1.0). */
    private String raw(String version, String host, String method, String path, String body) throws Exception {
        try (var socket = new Socket("127.0.0.1", node.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write((method + " " + path + " " + version + "\r\nHost: " + host
                    + "\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n"
                    + body).getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static void assertError(NodeClient.Reply reply, int status, String code, String field) throws Exception {
        assertThat(reply.status()).as(reply.text()).isEqualTo(status);
        JsonNode error = reply.json().path("error");
        assertThat(error.path("code").asText()).as(reply.text()).isEqualTo(code);
        assertThat(error.path("field").asText()).as(reply.text()).isEqualTo(field);
    }

    @Test
    void aClaimedRouteAnswersAtItsPathWithMethodsAndHost() throws Exception {
        NodeClient.Reply deployed = deploy("shop", "http", "[{\"http\":{\"path\":\"/shop\",\"methods\":[\"POST\"]}},"
                + "{\"http\":{\"path\":\"/hosted\",\"host\":\"shop.example\"}}]");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);

        NodeClient.Reply posted = request("POST", "/shop/cart?item=3", "two apples");
        assertThat(posted.status()).as(posted.text()).isEqualTo(200);
        assertThat(posted.text()).isEqualTo("echo:two apples query:/shop/cart?item=3");
        JsonNode record = client.record(posted.header("X-Arrow-Invocation-Id"));
        assertThat(record.path("arrow").asText()).isEqualTo("shop");
        assertThat(record.path("trigger").asText()).isEqualTo("http");
        assertThat(request("POST", "/shop", "x").text()).isEqualTo("echo:x query:/shop");

        // not a claimed method, not at a segment's end: the node's own 404
        assertError(request("GET", "/shop/cart", null), 404, "not_found", "");
        assertThat(request("POST", "/shopping", "x").status()).isEqualTo(404);
        // the arrow's own /a/ path still works, and the node's paths stay the node's
        assertThat(request("POST", "/a/shop/direct", "y").text()).isEqualTo("echo:y query:/direct");
        assertThat(request("GET", "/healthz", null).status()).isEqualTo(200);

        // Jetty's path (HTTP/1.0) routes as the lean one does
        assertThat(raw("HTTP/1.0", "localhost", "POST", "/shop/old", "z")).startsWith("HTTP/1.1 200")
                .endsWith("echo:z query:/shop/old");
        // a host claim answers on that host only, whatever the port
        assertThat(raw("HTTP/1.1", "shop.example:" + node.port(), "POST", "/hosted/a", "h")).startsWith("HTTP/1.1 200")
                .endsWith("echo:h query:/hosted/a");
        assertThat(raw("HTTP/1.1", "other.example", "POST", "/hosted/a", "h")).startsWith("HTTP/1.1 404");
    }

    @Test
    void overlappingAndBadClaimsAreRefusedNamingTheField() throws Exception {
        assertThat(deploy("shop", "http", "[{\"http\":{\"path\":\"/shop\"}}]").status()).isEqualTo(201);

        NodeClient.Reply overlap = deploy("other", "http", "[{\"http\":{\"path\":\"/api\"}},{\"http\":{\"path\":\"/shop/cart\"}}]");
        assertError(overlap, 409, "route_claimed", "triggers[1].http.path");
        assertThat(overlap.json().path("error").path("message").asText()).contains("'shop'");
        assertThat(client.get("/v1/arrows/other").status()).isEqualTo(404);

        assertError(deploy("job", "exec", "[{\"http\":{\"path\":\"/jobs\"}}]"), 400, "invalid_input", "triggers[0].http");
        assertError(deploy("x", "http", "[{\"http\":{\"path\":\"/v1/arrows\"}}]"), 400, "invalid_input",
                "triggers[0].http.path");
        assertError(deploy("x", "http", "[{\"http\":{\"path\":\"/a/x\"}}]"), 400, "invalid_input", "triggers[0].http.path");
        assertError(deploy("x", "http", "[{\"http\":{\"path\":\"api\"}}]"), 400, "invalid_input", "triggers[0].http.path");
        assertError(deploy("x", "http", "[{\"http\":{\"path\":\"/api\",\"methods\":[\"get\"]}}]"), 400, "invalid_input",
                "triggers[0].http.methods[0]");
        assertError(deploy("x", "http", "[{\"http\":{\"path\":\"/api\",\"host\":\"not a host\"}}]"), 400,
                "invalid_input", "triggers[0].http.host");
        assertError(deploy("x", "http", "[{\"http\":{\"path\":\"/api\"}},{\"http\":{\"path\":\"/api/v2\"}}]"), 400,
                "invalid_input", "triggers[1].http.path");
        assertThat(client.get("/v1/arrows/x").status()).isEqualTo(404);
        // other methods do not overlap
        assertThat(deploy("reader", "http", "[{\"http\":{\"path\":\"/api\",\"methods\":[\"GET\"]}}]").status())
                .isEqualTo(201);
    }

    @Test
    void routesFollowDeploysRollbacksAndDeletes() throws Exception {
        assertThat(deploy("shop", "http", "[{\"http\":{\"path\":\"/shop\"}}]").status()).isEqualTo(201);
        NodeClient.Reply first = request("POST", "/shop", "1");
        assertThat(first.status()).isEqualTo(200);
        client.record(first.header("X-Arrow-Invocation-Id")); // done: the redeploy below stops its instance

        assertThat(deploy("shop", "http", "[]").status()).isEqualTo(201); // revision 2 claims nothing
        assertThat(request("POST", "/shop", "2").status()).isEqualTo(404);
        assertThat(deploy("other", "http", "[{\"http\":{\"path\":\"/shop/cart\"}}]").status()).isEqualTo(201);
        NodeClient.Reply third = request("POST", "/shop/cart", "3");
        assertThat(third.status()).isEqualTo(200);
        client.record(third.header("X-Arrow-Invocation-Id"));

        NodeClient.Reply refused = client.postJson("/v1/arrows/shop/rollback", "{}");
        assertError(refused, 409, "route_claimed", "triggers[0].http.path");
        assertThat(client.get("/v1/arrows/shop").json().path("trafficRevision").asInt()).isEqualTo(2);

        assertThat(client.delete("/v1/arrows/other").status()).isEqualTo(204);
        assertThat(request("POST", "/shop/cart", "4").status()).isEqualTo(404);
        NodeClient.Reply rolledBack = client.postJson("/v1/arrows/shop/rollback", "{}");
        assertThat(rolledBack.status()).as(rolledBack.text()).isEqualTo(200);
        NodeClient.Reply fifth = request("POST", "/shop/cart", "5");
        assertThat(fifth.text()).isEqualTo("echo:5 query:/shop/cart");
        client.record(fifth.header("X-Arrow-Invocation-Id"));

        assertThat(client.delete("/v1/arrows/shop").status()).isEqualTo(204);
        assertThat(request("POST", "/shop", "6").status()).isEqualTo(404);
    }

    @Test
    void routesAreTakenUpAgainAfterARestart() throws Exception {
        assertThat(deploy("shop", "http", "[{\"http\":{\"path\":\"/shop\"}}]").status()).isEqualTo(201);
        node.close();
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(0));
        client = new NodeClient(node);
        assertThat(request("POST", "/shop", "again").text()).isEqualTo("echo:again query:/shop");
        assertError(deploy("other", "http", "[{\"http\":{\"path\":\"/shop\"}}]"), 409, "route_claimed",
                "triggers[0].http.path");
    }
}
