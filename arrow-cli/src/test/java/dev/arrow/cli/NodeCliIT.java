package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged CLI against a real {@code arrow serve} process, walking the README's examples:
 * what a user types, end to end.
 */
class NodeCliIT {

    private static final Path JAR = Path.of("target", "arrow.jar").toAbsolutePath();
    private static final Path HELPER = Path.of("..", "native", "target", "arrow-sandbox-helper").toAbsolutePath();
    private static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath();
    private static final Pattern LISTENING = Pattern.compile("node listening on (http://[^\\s,]+)");

    @TempDir
    static Path home;

    private static Process node;
    private static String url;

    record Run(int status, String stdout, String stderr) {}

    private static List<String> java() {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Darrow.helper=" + HELPER,
                "-Darrow.shellRuntime=" + System.getProperty("arrow.shellRuntime", ""), "-jar", JAR.toString()));
    }

    @BeforeAll
    static void startNode() throws Exception {
        List<String> command = java();
        command.addAll(List.of("serve", "--listen", "127.0.0.1:0", "--s3-listen", "127.0.0.1:0", "--home", home.toString()));
        node = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        var reader = new BufferedReader(new InputStreamReader(node.getErrorStream(), StandardCharsets.UTF_8));
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

    @AfterAll
    static void stopNode() throws Exception {
        if (node != null) {
            node.destroy();
            if (!node.waitFor(20, TimeUnit.SECONDS)) {
                node.destroyForcibly().waitFor();
            }
        }
    }

    /** {@code arrow ARGS...} run as a user runs it against the node. */
    private static ProcessBuilder cli(String... args) {
        List<String> command = java();
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.put("ARROW_HOME", home.toString());
        env.put("ARROW_NODE", url);
        env.remove("ARROW_TOKEN");
        return builder;
    }

    private static Run arrow(String stdin, String... args) throws Exception {
        Process process = cli(args).start();
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
    void theReadmeWalkThrough() throws Exception {
        for (String example : List.of("jq-names", "wordcount", "top-words")) {
            Run deployed = arrow("", "deploy", "-f", EXAMPLES.resolve(example).resolve("arrow.yaml").toString());
            assertThat(deployed.status()).as(deployed.stderr()).isZero();
            assertThat(deployed.stdout()).contains("deployed");
        }
        assertThat(arrow("[{\"name\":\"ada\",\"active\":true},{\"name\":\"bob\",\"active\":false}]",
                "invoke", "jq-names", "--data", "-").stdout()).isEqualTo("[\"ada\"]\n");
        Run counted = arrow("the cat and the hat\n", "invoke", "wordcount", "--data", "-");
        assertThat(counted.stdout()).isEqualTo("{\"lines\": 1, \"words\": 5, \"chars\": 20}");
        assertThat(arrow("", "invoke", "top-words", "--data", "the cat and the hat").stdout().strip())
                .startsWith("2 the");

        Run listed = arrow("", "ls");
        assertThat(listed.stdout()).contains("jq-names").contains("wordcount").contains("top-words").contains("top-word ");
        assertThat(arrow("", "logs", "wordcount").stdout()).contains("counted 5 words");
        assertThat(arrow("", "invocations", "wordcount", "--json").stdout()).contains("\"status\" : \"succeeded\"");
    }

    @Test
    void theWarmInstancesWalkThrough() throws Exception {
        for (String example : List.of("website", "hello-python")) {
            Run deployed = arrow("", "deploy", "-f", EXAMPLES.resolve(example).resolve("arrow.yaml").toString());
            assertThat(deployed.status()).as(deployed.stderr()).isZero();
        }
        var http = java.net.http.HttpClient.newHttpClient();
        var page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/a/website/")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Served by an arrow");
        Run hello = arrow("", "invoke", "hello", "--data", "{\"name\":\"ada\"}");
        assertThat(hello.status()).as(hello.stderr()).isZero();
        assertThat(hello.stdout()).contains("hello ada").contains("\"greetedByThisInstance\": 1");
        assertThat(arrow("", "invoke", "hello", "--data", "{}").stdout()).contains("\"greetedByThisInstance\": 2");
    }

    @Test
    void asyncInvokeThenFetch() throws Exception {
        assertThat(arrow("", "deploy", "echoer", "--", "cat").status()).isZero();
        Run accepted = arrow("", "invoke", "echoer", "--async", "--data", "later");
        assertThat(accepted.status()).isZero();
        String id = accepted.stdout().strip();
        assertThat(id).hasSize(26);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                arrow("", "invocations", "echoer", "--json").stdout().contains("\"succeeded\""));

        Run keyed = arrow("", "invoke", "echoer", "--async", "--idempotency-key", "cli-key-1", "--data", "once");
        Run retried = arrow("", "invoke", "echoer", "--async", "--idempotency-key", "cli-key-1", "--data", "once");
        assertThat(retried.status()).as(retried.stderr()).isZero();
        assertThat(retried.stdout()).as("the same invocation").isEqualTo(keyed.stdout());
        Run reused = arrow("", "invoke", "echoer", "--async", "--idempotency-key", "cli-key-1", "--data", "twice");
        assertThat(reused.status()).isEqualTo(2);
        assertThat(reused.stderr()).contains("Idempotency-Key 'cli-key-1' was used");
    }

    @Test
    void failuresAndBadInputHaveTheDocumentedStatuses() throws Exception {
        assertThat(arrow("", "deploy", "failing", "--", "/bin/sh", "-c", "echo why >&2; exit 3").status()).isZero();
        Run failed = arrow("", "invoke", "failing");
        assertThat(failed.status()).isEqualTo(1);
        assertThat(failed.stderr()).contains("why").contains("exited with status 3");

        Run missing = arrow("", "invoke", "no-such-arrow");
        assertThat(missing.status()).isEqualTo(3);
        Run invalid = arrow("", "deploy", "Bad_Name", "--", "true");
        assertThat(invalid.status()).isIn(2, 125);
        assertThat(invalid.stderr()).startsWith("arrow: ").doesNotContain("Exception").doesNotContain("\tat ");

        Path manifest = home.resolve("typo.yaml");
        Files.writeString(manifest, "name: typo\ncommand: [cat]\nlimits: {memroy: 1g}\n");
        Run typo = arrow("", "deploy", "-f", manifest.toString());
        assertThat(typo.status()).isEqualTo(125);
        assertThat(typo.stderr()).contains("memroy").contains("line 3");

        List<String> command = java();
        command.addAll(List.of("ls"));
        ProcessBuilder wrongToken = new ProcessBuilder(command);
        wrongToken.environment().put("ARROW_NODE", url);
        wrongToken.environment().put("ARROW_TOKEN", "not-the-token");
        Process process = wrongToken.redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor()).isEqualTo(4);
    }

    @Test
    void logsFollowPrintsEachInvocationOnceAsItFinishesUntilStopped() throws Exception {
        assertThat(arrow("", "deploy", "greeter", "--", "/bin/sh", "-c", "echo \"handled $(cat)\" >&2").status()).isZero();
        String before = invocationId(arrow("", "invoke", "greeter", "--data", "before", "-v"));

        Process follower = cli("logs", "greeter", "-f", "--interval", "100").start();
        var lines = new CopyOnWriteArrayList<String>();
        var err = new StringBuffer();
        Thread outReader = Thread.ofVirtual().start(() -> {
            try (var out = follower.inputReader(StandardCharsets.UTF_8)) {
                out.lines().forEach(lines::add);
            } catch (IOException | UncheckedIOException ignored) {
                // the follower ended
            }
        });
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(follower.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the follower ended
            }
        });
        List<String> ids = new ArrayList<>(List.of(before));
        try {
            // The backlog shows that the first poll is done: what is invoked from now on finishes after it.
            await().atMost(Duration.ofSeconds(20)).until(() -> lines.contains("handled before"));
            for (String data : List.of("one", "two", "three")) {
                // Each is invoked once the one before was printed, so later polls saw the earlier ones again.
                ids.add(invocationId(arrow("", "invoke", "greeter", "--data", data, "-v")));
                await().atMost(Duration.ofSeconds(20)).until(() -> lines.contains("handled " + data));
            }
        } finally {
            // What a supervisor sends, and ends the JVM as Ctrl-C does; SIGINT stays ignored in a
            // build started in the background.
            follower.destroy();
        }
        assertThat(follower.waitFor(20, TimeUnit.SECONDS)).as("logs -f stopped").isTrue();
        outReader.join();
        errReader.join();

        assertThat(lines).filteredOn(line -> line.startsWith("==> "))
                .map(line -> line.split(" ")[1])
                .containsExactlyElementsOf(ids);
        assertThat(lines).filteredOn(line -> !line.startsWith("==> "))
                .containsExactly("handled before", "handled one", "handled two", "handled three");
        assertThat(lines).filteredOn(line -> line.startsWith("==> ")).allMatch(line -> line.contains(" succeeded, "));
        assertThat(err.toString()).isEmpty();
    }

    private static String invocationId(Run invoked) {
        assertThat(invoked.status()).as(invoked.stderr()).isZero();
        Matcher id = Pattern.compile("(?m)^X-Arrow-Invocation-Id: (\\S+)$").matcher(invoked.stderr());
        assertThat(id.find()).as(invoked.stderr()).isTrue();
        return id.group(1);
    }

    @Test
    void aLargeCodeDirectoryIsUploadedAndMountedAtCode(@TempDir Path code) throws Exception {
        // 20 MiB that gzip cannot shrink, so the upload is as large as the directory.
        var random = new Random(20);
        byte[] part = new byte[4 << 20];
        for (int i = 0; i < 5; i++) {
            random.nextBytes(part);
            Files.write(code.resolve("part-" + i + ".bin"), part);
        }
        String lastDigest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(part));

        Run deployed = arrow("", "deploy", "big-code", "--code", code.toString(), "--",
                "/bin/sh", "-c", "ls /code; sha256sum /code/part-4.bin");
        assertThat(deployed.status()).as(deployed.stderr()).isZero();
        assertThat(deployed.stdout()).startsWith("deployed big-code revision 1 (bundle sha256:").contains(" 5 files, ");
        // stderr is a pipe here, not a terminal: no progress bar.
        assertThat(deployed.stderr()).isEmpty();

        Run invoked = arrow("", "invoke", "big-code");
        assertThat(invoked.status()).as(invoked.stderr()).isZero();
        assertThat(invoked.stdout()).isEqualTo("part-0.bin\npart-1.bin\npart-2.bin\npart-3.bin\npart-4.bin\n"
                + lastDigest + "  /code/part-4.bin\n");
    }
}
