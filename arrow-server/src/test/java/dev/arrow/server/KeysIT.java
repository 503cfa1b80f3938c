package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import dev.arrow.services.objects.AccessKeys;
import dev.arrow.services.objects.RequestView;
import dev.arrow.services.objects.S3ErrorCode;
import dev.arrow.services.objects.SignatureV4;
import dev.arrow.services.objects.Verdict;
import dev.arrow.state.SqliteState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The access key API on a real node, and the keys it makes checked by {@link SignatureV4}. */
class KeysIT {

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

    private static void assertError(NodeClient.Reply reply, int status, String code, String field) throws IOException {
        assertThat(reply.status()).as(reply.text()).isEqualTo(status);
        JsonNode error = reply.json().path("error");
        assertThat(error.path("code").asText()).as(reply.text()).isEqualTo(code);
        if (field != null) {
            assertThat(error.path("field").asText()).as(reply.text()).isEqualTo(field);
        }
    }

    @Test
    void createListDeleteAndTheSecretShownOnce() throws Exception {
        NodeClient.Reply created = client.postJson("/v1/keys", "{\"name\":\"backup job\"}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        JsonNode key = created.json();
        String id = key.path("accessKeyId").asText();
        String secret = key.path("secretAccessKey").asText();
        assertThat(id).matches("AKAR[A-Z0-9]{16}");
        assertThat(secret).matches("[A-Za-z0-9+/]{40}");
        assertThat(key.path("name").asText()).isEqualTo("backup job");
        assertThat(Instant.parse(key.path("createdAt").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(created.header("Location")).isEqualTo("/v1/keys/" + id);

        NodeClient.Reply unnamed = client.post("/v1/keys", null, new byte[0]);
        assertThat(unnamed.status()).as(unnamed.text()).isEqualTo(201);
        assertThat(unnamed.json().path("name").isNull()).isTrue();

        NodeClient.Reply list = client.get("/v1/keys");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.text()).doesNotContain(secret).doesNotContain("secret");
        assertThat(list.json().path("keys").findValuesAsText("accessKeyId"))
                .containsExactly(id, unnamed.json().path("accessKeyId").asText());
        assertThat(list.json().path("keys").get(0).path("name").asText()).isEqualTo("backup job");

        assertThat(client.delete("/v1/keys/" + id).status()).isEqualTo(204);
        assertError(client.delete("/v1/keys/" + id), 404, "not_found", null);
        assertError(client.delete("/v1/keys/nope"), 404, "not_found", null);
        assertThat(client.get("/v1/keys").json().path("keys")).hasSize(1);
        assertThat(client.send("GET", "/v1/keys", null, null, null).status()).isEqualTo(401);
        assertThat(client.send("POST", "/v1/keys", null, null, "wrong").status()).isEqualTo(401);
    }

    @Test
    void badInputNamesTheFieldAndStoresNothing() throws Exception {
        assertError(client.postJson("/v1/keys", "{\"name\":"), 400, "invalid_input", "body");
        assertError(client.postJson("/v1/keys", "[]"), 400, "invalid_input", "body");
        assertError(client.postJson("/v1/keys", "{\"name\":\"\"}"), 400, "invalid_input", "name");
        assertError(client.postJson("/v1/keys", "{\"name\":\"a\\nb\"}"), 400, "invalid_input", "name");
        assertError(client.postJson("/v1/keys", "{\"name\":\"" + "x".repeat(65) + "\"}"), 400, "invalid_input", "name");
        assertError(client.postJson("/v1/keys", "{\"name\":7}"), 400, "invalid_input", "name");
        assertError(client.postJson("/v1/keys", "{\"label\":\"x\"}"), 400, "invalid_input", "label");
        assertThat(client.post("/v1/keys", "text/plain", "{}".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(415);
        assertThat(client.get("/v1/keys").json().path("keys")).isEmpty();
    }

    @Test
    void aKeyMadeThroughTheApiSignsRequestsUntilItIsDeleted() throws Exception {
        JsonNode kept = client.postJson("/v1/keys", "{\"name\":\"kept\"}").json();
        JsonNode gone = client.postJson("/v1/keys", "{}").json();
        assertThat(client.delete("/v1/keys/" + gone.path("accessKeyId").asText()).status()).isEqualTo(204);
        node.close();
        node = null;

        Instant now = Instant.now();
        try (SqliteState state = SqliteState.open(home.resolve("arrow.db"))) {
            var keys = new AccessKeys(state.accessKeys(), Clock.systemUTC());
            var verifier = new SignatureV4(keys::secretOf, Clock.fixed(now.plusSeconds(5), ZoneOffset.UTC));
            Verdict accepted = verifier.verify(sign(kept.path("accessKeyId").asText(),
                    kept.path("secretAccessKey").asText(), now));
            assertThat(accepted).isInstanceOfSatisfying(Verdict.Accepted.class,
                    a -> assertThat(a.accessKeyId()).isEqualTo(kept.path("accessKeyId").asText()));
            String secret = kept.path("secretAccessKey").asText();
            // Another first character: a secret that starts with 'x' made "x" + the rest the right one.
            String wrong = (secret.charAt(0) == 'x' ? "y" : "x") + secret.substring(1);
            assertThat(verifier.verify(sign(kept.path("accessKeyId").asText(), wrong, now))).isInstanceOfSatisfying(Verdict.Refused.class,
                    r -> assertThat(r.error()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
            assertThat(verifier.verify(sign(gone.path("accessKeyId").asText(),
                    gone.path("secretAccessKey").asText(), now))).isInstanceOfSatisfying(Verdict.Refused.class,
                    r -> assertThat(r.error()).isEqualTo(S3ErrorCode.INVALID_ACCESS_KEY_ID));
        }
    }

    /** A GET signed in the Authorization header by hand, as the SigV4 documentation spells it out. */
    private static RequestView sign(String id, String secret, Instant when) throws Exception {
        String amzDate = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(when);
        String date = amzDate.substring(0, 8);
        String scope = date + "/us-east-1/s3/aws4_request";
        String payload = "UNSIGNED-PAYLOAD";
        String signedHeaders = "host;x-amz-content-sha256;x-amz-date";
        String canonical = String.join("\n", "GET", "/bucket/key.txt", "",
                "host:localhost:9000", "x-amz-content-sha256:" + payload, "x-amz-date:" + amzDate, "",
                signedHeaders, payload);
        String toSign = String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope, HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8))));
        byte[] key = ("AWS4" + secret).getBytes(StandardCharsets.UTF_8);
        for (String part : List.of(date, "us-east-1", "s3", "aws4_request", toSign)) {
            key = hmac(key, part);
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Host", List.of("localhost:9000"));
        headers.put("x-amz-content-sha256", List.of(payload));
        headers.put("x-amz-date", List.of(amzDate));
        headers.put("Authorization", List.of("AWS4-HMAC-SHA256 Credential=" + id + "/" + scope
                + ", SignedHeaders=" + signedHeaders + ", Signature=" + HexFormat.of().formatHex(key)));
        return new RequestView("GET", "/bucket/key.txt", "", headers);
    }

    private static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }
}
