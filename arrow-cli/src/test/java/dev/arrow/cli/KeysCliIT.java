package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code arrow keys} against a real {@code arrow serve} process; a key made survives a kill -9 of the node. */
class KeysCliIT {

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
