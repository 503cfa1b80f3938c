package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code arrow kv} against a real {@code arrow serve} process, and what a write acknowledged to a
 * client is worth: the node killed with SIGKILL right after, and started again on the same home.
 */
class KvCliIT extends ServedNode {

    @Test
    void theKvCommandsAgainstANode() throws Exception {
        startNode();
        Run put = arrow("", "kv", "put", "config", "db/url", "postgres://db:5432");
        assertThat(put.status()).as(put.stderr()).isZero();
        assertThat(put.stdout()).isEqualTo("config/db/url revision 1\n");
        assertThat(arrow("line one\nline two\n", "kv", "put", "config", "notes", "-").status()).isZero();

        Run got = arrow("", "kv", "get", "config", "notes", "--revision");
        assertThat(got.stdout()).isEqualTo("line one\nline two\n");
        assertThat(got.stderr()).isEqualTo("revision 2\n");

        Run taken = arrow("", "kv", "put", "config", "notes", "x", "--create-only");
        assertThat(taken.status()).isEqualTo(2);
        assertThat(taken.stderr()).contains("exists already");
        assertThat(arrow("", "kv", "put", "config", "notes", "x", "--if-revision", "2").status()).isZero();

        Run listed = arrow("", "kv", "ls", "config", "--prefix", "db/");
        assertThat(listed.stdout()).contains("db/url").doesNotContain("notes");
        assertThat(arrow("", "kv", "stores").stdout()).contains("config");

        assertThat(arrow("", "kv", "rm", "config", "db/url").stdout()).isEqualTo("deleted config/db/url\n");
        assertThat(arrow("", "kv", "get", "config", "db/url").status()).isEqualTo(3);
        Run bad = arrow("", "kv", "put", "Bad_Store", "k", "v");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.stderr()).startsWith("arrow: ").contains("store");
    }

    @Test
    void whatTheNodeAcknowledgedSurvivesAKill9() throws Exception {
        startNode();
        String token = Files.readString(home.resolve("token")).strip();
        HttpClient http = HttpClient.newHttpClient();
        // Writes from many clients at once, so that they share commits; each is checked only once acknowledged.
        var acknowledged = new ArrayList<Future<String>>();
        try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                String key = "k" + i;
                acknowledged.add(clients.submit(() -> {
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                                    URI.create(url + "/v1/kv/durable/keys/" + key))
                            .header("Authorization", "Bearer " + token)
                            .PUT(HttpRequest.BodyPublishers.ofString("value of " + key)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
                    return key;
                }));
            }
            for (Future<String> future : acknowledged) {
                future.get();
            }
        }
        Run last = arrow("", "kv", "put", "durable", "last", "the last word");
        assertThat(last.status()).as(last.stderr()).isZero();

        node.destroyForcibly(); // SIGKILL: no shutdown hook, no checkpoint, no close
        assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        startNode();

        assertThat(arrow("", "kv", "get", "durable", "last").stdout()).isEqualTo("the last word");
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/kv/durable/keys/k" + i))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.body()).isEqualTo("value of k" + i);
        }
        Run stores = arrow("", "kv", "stores", "--json");
        assertThat(stores.stdout()).contains("\"keys\" : 201").contains("\"revision\" : 201");
    }
}
