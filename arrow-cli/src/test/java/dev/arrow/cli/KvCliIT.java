package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code arrow kv} against a real {@code arrow serve} process, and what a write acknowledged to a
 * client is worth: the node killed with SIGKILL right after, and started again on the same home.
 */
class KvCliIT {

    private static final Path JAR = Path.of("target", "arrow.jar").toAbsolutePath();
    private static final Path HELPER = Path.of("..", "native", "target", "arrow-sandbox-helper").toAbsolutePath();
    private static final Pattern LISTENING = Pattern.compile("node listening on (http://[^\\s,]+)");

    @TempDir
    Path home;

    private Process node;
    private String url;

    record Run(int status, String stdout, String stderr) {}

    private static List<String> java() {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Darrow.helper=" + HELPER, "-jar", JAR.toString()));
    }

    /** Starts {@code arrow serve} on the test's home, without prewarmed sandboxes a kill would leave behind. */
    private void startNode() throws IOException {
        List<String> command = java();
        command.addAll(List.of("serve", "--listen", "127.0.0.1:0", "--home", home.toString(), "--prewarm", "0"));
        node = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        var reader = new BufferedReader(new InputStreamReader(node.getErrorStream(), StandardCharsets.UTF_8));
        url = null;
        String line;
        while (url == null && (line = reader.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                url = m.group(1);
            }
        }
        assertThat(url).as("arrow serve said where it listens").isNotNull();
        Thread.ofVirtual().start(() -> {
            try {
                reader.transferTo(Writer.nullWriter());
            } catch (IOException ignored) {
                // the node ended
            }
        });
    }

    @AfterEach
    void stopNode() throws Exception {
        if (node != null && node.isAlive()) {
            node.destroy();
            if (!node.waitFor(20, TimeUnit.SECONDS)) {
                node.destroyForcibly().waitFor();
            }
        }
    }

    private Run arrow(String stdin, String... args) throws Exception {
        List<String> command = java();
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.put("ARROW_HOME", home.toString());
        env.put("ARROW_NODE", url);
        env.remove("ARROW_TOKEN");
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        var err = new StringBuilder();
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // ended
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        errReader.join();
        return new Run(process.exitValue(), out, err.toString());
    }

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
