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
import org.junit.jupiter.api.io.TempDir;

/**
 * What the CLI tests against a real {@code arrow serve} process share: the node started from
 * {@code target/arrow.jar} on the test's home (and started again, after a kill, on the same home),
 * and the CLI run as a process of its own against it.
 */
abstract class ServedNode {

    private static final Path JAR = Path.of("target", "arrow.jar").toAbsolutePath();
    private static final Path HELPER = Path.of("..", "native", "target", "arrow-sandbox-helper").toAbsolutePath();
    private static final Pattern LISTENING = Pattern.compile("node listening on (http://[^\\s,]+)");
    private static final Pattern S3_LISTENING = Pattern.compile("S3 listening on (http://[^\\s,]+)");

    @TempDir
    Path home;

    /** The running node, once started; its URL. */
    Process node;
    String url;
    /** Where its S3 listener listens. */
    String s3Url;

    record Run(int status, String stdout, String stderr) {}

    private static List<String> java() {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Darrow.helper=" + HELPER, "-jar", JAR.toString()));
    }

    /** Starts {@code arrow serve} on the test's home, without prewarmed sandboxes a kill would leave behind. */
    void startNode() throws IOException {
        startNode(List.of());
    }

    /** As {@link #startNode()}, with options for the node's JVM (e.g. its heap limit). */
    void startNode(List<String> jvmOptions) throws IOException {
        List<String> command = java();
        command.addAll(command.indexOf("-jar"), jvmOptions);
        command.addAll(List.of("serve", "--listen", "127.0.0.1:0", "--s3-listen", "127.0.0.1:0", "--home", home.toString(),
                "--prewarm", "0"));
        node = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        var reader = new BufferedReader(new InputStreamReader(node.getErrorStream(), StandardCharsets.UTF_8));
        url = null;
        s3Url = null;
        String line;
        while ((url == null || s3Url == null) && (line = reader.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                url = m.group(1);
            }
            Matcher s3 = S3_LISTENING.matcher(line);
            if (s3.find()) {
                s3Url = s3.group(1);
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

    /** Runs the CLI against the node, {@code stdin} on its stdin; the node's token is found through ARROW_HOME. */
    Run arrow(String stdin, String... args) throws Exception {
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
}
