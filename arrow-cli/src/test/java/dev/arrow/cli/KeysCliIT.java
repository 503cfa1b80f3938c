package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.Json;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code arrow keys} against a real {@code arrow serve} process; a key made survives a kill -9 of the node. */
class KeysCliIT extends ServedNode {

    @Test
    void theKeysCommandsAgainstANode() throws Exception {
        startNode();
        Run created = arrow("", "keys", "create", "backup job", "--json");
        assertThat(created.status()).as(created.stderr()).isZero();
        JsonNode key = Json.parse(created.stdout());
        String id = key.path("accessKeyId").asText();
        String secret = key.path("secretAccessKey").asText();
        assertThat(id).matches("AKAR[A-Z0-9]{16}");
        assertThat(secret).matches("[A-Za-z0-9+/]{40}");
        assertThat(key.path("name").asText()).isEqualTo("backup job");

        Run plain = arrow("", "keys", "create");
        assertThat(plain.status()).as(plain.stderr()).isZero();
        assertThat(plain.stdout()).matches("access key id: AKAR[A-Z0-9]{16}\nsecret access key: [A-Za-z0-9+/]{40}\n");
        assertThat(plain.stderr()).contains("not shown again");
        String other = plain.stdout().lines().findFirst().orElseThrow().substring("access key id: ".length());

        node.destroyForcibly(); // SIGKILL: what was answered is on disk
        assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        startNode();

        Run listed = arrow("", "keys", "ls");
        assertThat(listed.status()).as(listed.stderr()).isZero();
        assertThat(listed.stdout()).contains("ACCESS KEY ID", id, "backup job", other).doesNotContain(secret);
        assertThat(arrow("", "keys", "ls", "--json").stdout()).contains(id).doesNotContain(secret);

        assertThat(arrow("", "keys", "rm", id).stdout()).isEqualTo("deleted access key " + id + "\n");
        Run again = arrow("", "keys", "rm", id);
        assertThat(again.status()).isEqualTo(3);
        assertThat(again.stderr()).startsWith("arrow: ").contains(id);
        assertThat(arrow("", "keys", "ls").stdout()).doesNotContain(id).contains(other);

        Run bad = arrow("", "keys", "create", "x".repeat(65));
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.stderr()).startsWith("arrow: ").contains("64");
    }
}
