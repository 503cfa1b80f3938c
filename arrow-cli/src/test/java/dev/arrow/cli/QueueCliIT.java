package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

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

/**
 * {@code arrow queue} against a real {@code arrow serve} process, and what a send acknowledged to
 * a client is worth: the node killed with SIGKILL right after, and started again on the same home.
 */
class QueueCliIT {

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
    void sendThenReceiveAndDelete() throws Exception {
        startNode();
        Run sent = arrow("", "queue", "send", "jobs", "hello from the cli");
        assertThat(sent.status()).as(sent.stderr()).isZero();
        assertThat(sent.stdout().strip()).isNotBlank();
        assertThat(arrow("line one\nline two", "queue", "send", "jobs", "-").status()).isZero();

        Run listed = arrow("", "queue", "ls");
        assertThat(listed.status()).as(listed.stderr()).isZero();
        assertThat(listed.stdout()).contains("jobs");

        Run first = arrow("", "queue", "receive", "jobs", "--delete", "--wait", "1s");
        assertThat(first.status()).as(first.stderr()).isZero();
        assertThat(first.stdout()).isEqualTo("hello from the cli\n");
        assertThat(first.stderr()).contains("receiveCount 1").contains("receiptHandle ");

        Run second = arrow("", "queue", "receive", "jobs", "--visibility", "0s");
        assertThat(second.stdout()).isEqualTo("line one\nline two\n");
        Matcher handle = Pattern.compile("receiptHandle (\\S+)").matcher(second.stderr());
        assertThat(handle.find()).as(second.stderr()).isTrue();
        Run again = arrow("", "queue", "receive", "jobs");
        assertThat(again.stderr()).contains("receiveCount 2");
        Run stale = arrow("", "queue", "delete", "jobs", handle.group(1));
        assertThat(stale.status()).isEqualTo(2);
        assertThat(stale.stderr()).startsWith("arrow: ").contains("stale");

        assertThat(arrow("", "queue", "purge", "jobs").stdout()).isEqualTo("purged 1 messages from jobs\n");
        assertThat(arrow("", "queue", "receive", "jobs").stdout()).isEmpty();
        assertThat(arrow("", "queue", "purge", "nope").status()).isEqualTo(3);
        Run bad = arrow("", "queue", "send", "Bad_Queue", "x");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.stderr()).startsWith("arrow: ").contains("queue");
    }

    @Test
    void anAcknowledgedSendSurvivesAKill9() throws Exception {
        startNode();
        for (int i = 0; i < 3; i++) {
            Run sent = arrow("", "queue", "send", "durable", "message " + i);
            assertThat(sent.status()).as(sent.stderr()).isZero();
        }

        node.destroyForcibly(); // SIGKILL: no shutdown hook, no checkpoint, no close
        assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        startNode();

        Run received = arrow("", "queue", "receive", "durable", "--max", "10", "--delete");
        assertThat(received.status()).as(received.stderr()).isZero();
        assertThat(received.stdout().lines().sorted().toList()).containsExactly("message 0", "message 1", "message 2");
    }
}
