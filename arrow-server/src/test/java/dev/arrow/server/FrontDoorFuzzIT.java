package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.platform.invocations.DispatchSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded, seeded fuzz of the node's front door over raw sockets, at most 4 requests at a time:
 * odd methods and paths, broken JSON, broken HTTP framing, broken archives, bad tokens and odd
 * query strings. No answer may be a 500, none may hang, none may name a Java class, and nothing
 * may be logged with a stack trace. A failure prints the seed and the request that broke it.
 */
class FrontDoorFuzzIT {

    private static final long SEED = Long.getLong("arrow.fuzz.seed", 20261207L);
    private static final int REQUESTS = Integer.getInteger("arrow.fuzz.requests", 1500);
    /** An answer later than this is a hang: every request here is small and the arrow is `cat`. */
    private static final int HANG_MILLIS = 15_000;
    private static final Pattern JAVA_NAME = Pattern.compile(
            "\\b(java|javax|jdk|sun|org\\.eclipse|com\\.fasterxml|org\\.apache|dev\\.arrow)\\.[a-z]+\\.|[A-Z][a-zA-Z]+Exception\\b"
                    + "|StreamReadConstraints|\\bat [a-z]+\\.[a-z]+\\.");

    @TempDir
    Path home;

    private Node node;
    private String token;
    private final List<LogRecord> severe = Collections.synchronizedList(new ArrayList<>());
    private final Handler watcher = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.SEVERE.intValue() || record.getThrown() != null) {
                severe.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        LogManager.getLogManager().getLogger("").addHandler(watcher);
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT));
        token = java.nio.file.Files.readString(home.resolve("token")).strip();
        Reply deployed = exchange(request("POST", "/v1/arrows", json(
                "{\"name\":\"echo\",\"command\":[\"cat\"],\"limits\":{\"timeout\":\"5s\"}}"), true));
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        LogManager.getLogManager().getLogger("").removeHandler(watcher);
        if (node != null) {
            node.close();
        }
    }

    record Reply(int status, String head, byte[] body) {
        String text() {
            return head + "\r\n\r\n" + new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One request: its bytes, and whether the client half-closes after them. */
    record Raw(String label, byte[] bytes, boolean halfClose) {
    }

    @Test
    void malformedRequestsGetAClearAnswerAndNeverA500OrAHang() throws Exception {
        var random = new Random(SEED);
        List<Function<Random, Raw>> kinds = List.of(this::oddPath, this::brokenJson, this::brokenFraming,
                this::brokenArchive, this::badToken, this::oddQuery);
        List<Raw> requests = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            requests.add(kinds.get(random.nextInt(kinds.size())).apply(random));
        }
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        var answered = new java.util.concurrent.atomic.AtomicInteger();
        try (var pool = Executors.newFixedThreadPool(4, Thread.ofPlatform().name("fuzz-", 0).factory())) {
            List<Future<?>> done = new ArrayList<>();
            for (Raw raw : requests) {
                done.add(pool.submit(() -> {
                    try {
                        Reply reply = exchange(raw);
                        if (reply == null) {
                            return; // the node closed the connection without an answer to bytes that were not HTTP
                        }
                        answered.incrementAndGet();
                        if (reply.status() >= 500 && reply.status() != 503 && reply.status() != 505) {
                            problems.add(reply.status() + " for " + raw.label() + ": " + abbreviate(reply.text()));
                        } else if (JAVA_NAME.matcher(new String(reply.body(), StandardCharsets.UTF_8)).find()) {
                            problems.add("a Java name in the answer to " + raw.label() + ": " + abbreviate(reply.text()));
                        }
                    } catch (SocketTimeoutException e) {
                        problems.add("no answer within " + HANG_MILLIS + " ms to " + raw.label());
                    } catch (IOException e) {
                        // a reset after a malformed request is the node's right; a hang or a 500 is not
                    }
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        }
        assertThat(problems).as("seed %d", SEED).isEmpty();
        // A node that only reset connections would pass the checks above: nearly every request gets an answer.
        assertThat(answered.get()).as("requests answered, seed %d", SEED).isGreaterThan(REQUESTS * 9 / 10);
        assertThat(severe).as("SEVERE log records or stack traces, seed %d", SEED)
                .extracting(record -> record.getLoggerName() + ": " + record.getMessage()).isEmpty();
        // And the node still works (the fuzz may have deleted or redeployed "echo": it holds a valid token too).
        Reply deployed = exchange(request("POST", "/v1/arrows", json("{\"name\":\"after\",\"command\":[\"cat\"]}"), true));
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        Reply echo = exchange(request("POST", "/v1/arrows/after/invoke", body("text/plain", "still here"), true));
        assertThat(echo.status()).isEqualTo(200);
        assertThat(new String(echo.body(), StandardCharsets.UTF_8)).isEqualTo("still here");
    }

    // ---- the kinds of requests

    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"};
    private static final String[] PATHS = {"/v1/arrows", "/v1/arrows/echo", "/v1/arrows/echo/invoke",
        "/v1/arrows/echo/revisions", "/v1/arrows/echo/revisions/1", "/v1/arrows/echo/revisions/x",
        "/v1/arrows/echo/rollback", "/v1/arrows/echo/logs", "/v1/arrows/nope", "/v1/invocations",
        "/v1/invocations/01x", "/v1/invocations/01x/output", "/v1/invocations/01x/logs", "/v1/bundles",
        "/v1/bundles/sha256:00", "/a/echo/", "/a/echo/x/y", "/a/nope/", "/healthz", "/metrics", "/v1/openapi.json",
        "/", "/v1", "/v1/", "/v1/arrows/", "/v1/arrows/%2e%2e/x", "/v1/arrows/a%00b", "/a/", "/a/%ff/",
        "/v1/arrows/" + "x".repeat(300), "//v1//arrows", "/v1/arrows/echo/../echo"};

    private Raw oddPath(Random random) {
        String method = pick(random, METHODS);
        String path = pick(random, PATHS);
        byte[] body = random.nextBoolean() ? new byte[0] : randomBytes(random, random.nextInt(64));
        return request(method, path, body(random.nextBoolean() ? "application/json" : "text/plain", body), true);
    }

    private static final String SPEC = "{\"name\":\"fz\",\"command\":[\"cat\"],\"env\":{\"A\":\"b\"},"
            + "\"limits\":{\"memory\":\"64m\",\"cpus\":0.5,\"timeout\":\"5s\"},\"scaling\":{\"concurrency\":1}}";
    private static final String[] JSON_ODDITIES = {"{\"name\":", "{", "[]", "null", "\"x\"", "{\"name\":\"x\"}",
        "{\"name\":\"x\",\"command\":[\"cat\"],\"limits\":{\"cpus\":1e400}}",
        "{\"name\":\"x\",\"command\":[\"cat\"],\"limits\":{\"memory\":-1}}",
        "{\"name\":\"x\",\"command\":[\"cat\"],\"limits\":{\"memory\":99999999999999999999999}}",
        "{\"name\":\"x\",\"command\":[\"cat\"],\"limits\":{\"timeout\":\"1e9h\"}}",
        "{\"name\":\"x\",\"command\":\"cat\",\"bogus\":1}", "{\"name\":\"../x\",\"command\":[\"cat\"]}",
        "{\"name\":\"x\",\"command\":[]}", "{\"name\":1,\"command\":[2]}", "{\"revision\":\"x\"}", "{\"revision\":-1}",
        "[".repeat(5000), "{\"a\":" .repeat(3000), "\u0000\u0001", "{\"name\":\"\\ud800\",\"command\":[\"cat\"]}"};

    private Raw brokenJson(Random random) {
        String json = random.nextInt(3) == 0
                ? SPEC.substring(0, random.nextInt(SPEC.length()))
                : pick(random, JSON_ODDITIES);
        String path = pick(random, new String[] {"/v1/arrows", "/v1/arrows/echo/rollback", "/v1/arrows/echo"});
        return request(random.nextBoolean() ? "POST" : "PUT", path, json(json), true);
    }

    private Raw brokenFraming(Random random) {
        String path = pick(random, new String[] {"/v1/arrows", "/v1/bundles", "/v1/arrows/echo/invoke",
            "/v1/arrows/echo/rollback", "/a/echo/"});
        String auth = "Authorization: Bearer " + token + "\r\n";
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n";
        return switch (random.nextInt(12)) {
            case 0 -> raw("short body, half-closed", head + "Content-Length: 100\r\n\r\n{\"name\":", true);
            case 1 -> raw("chunk size zz", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", false);
            case 2 -> raw("chunk size -1", head + "Transfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n0\r\n\r\n", false);
            case 3 -> raw("chunk size overflow", head + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nab\r\n", true);
            case 4 -> raw("chunk without CRLF", head + "Transfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n", true);
            case 5 -> raw("bad trailer", head + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nbad trailer\r\n\r\n", true);
            case 6 -> raw("expect without body", head + "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n", true);
            case 7 -> raw("two lengths", head + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", true);
            case 8 -> raw("length and chunked", head + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true);
            case 9 -> raw("bad version", "GET /v1/arrows HTTP/2.7\r\nHost: x\r\n" + auth + "\r\n", true);
            case 10 -> raw("long header", "GET /v1/arrows HTTP/1.1\r\nHost: x\r\nX-Long: " + "a".repeat(70_000) + "\r\n\r\n", true);
            default -> raw("long URI", "GET /v1/arrows?" + "a".repeat(70_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", true);
        };
    }

    private Raw brokenArchive(Random random) {
        String type = pick(random, new String[] {"application/gzip", "application/zip", "application/x-tar", "text/plain"});
        byte[] body = switch (random.nextInt(4)) {
            case 0 -> randomBytes(random, random.nextInt(4096));
            case 1 -> new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}; // a gzip header and nothing
            case 2 -> new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0};
            default -> new byte[0];
        };
        return request("POST", "/v1/bundles", body(type, body), random.nextBoolean());
    }

    private Raw badToken(Random random) {
        String token = pick(random, new String[] {"", "wrong", "Bearer", "\u00e9\u00e9", " ".repeat(10), "x".repeat(5000)});
        String auth = random.nextBoolean() ? "Authorization: Bearer " + token : "Authorization: " + token;
        String raw = pick(random, new String[] {"GET", "POST", "DELETE"}) + " " + pick(random, PATHS)
                + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        return raw("token '" + abbreviate(token) + "'", raw, false);
    }

    private static final String[] QUERIES = {"limit=%zz", "%=%", "limit=%c3%28", "limit=-1", "limit=abc",
        "limit=99999999999999999999", "status=bogus", "before=%00", "arrow=%2F%2E%2E", "async=maybe", "async=%",
        "&&&", "=", "limit", "limit=1&limit=2", "a=" + "%41".repeat(2000)};

    private Raw oddQuery(Random random) {
        String path = pick(random, new String[] {"/v1/invocations", "/v1/arrows/echo/logs", "/v1/arrows",
            "/v1/arrows/echo/invoke", "/a/echo/"});
        String method = path.endsWith("invoke") ? "POST" : "GET";
        return request(method, path + "?" + pick(random, QUERIES), body("text/plain", new byte[0]), true);
    }

    // ---- the wire

    private Raw request(String method, String path, byte[][] typedBody, boolean authorized) {
        var raw = new ByteArrayOutputStream();
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (authorized ? "Authorization: Bearer " + token + "\r\n" : "")
                + "Content-Type: " + new String(typedBody[0], StandardCharsets.ISO_8859_1) + "\r\n"
                + "Content-Length: " + typedBody[1].length + "\r\nConnection: close\r\n\r\n";
        raw.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        raw.writeBytes(typedBody[1]);
        return new Raw(method + " " + abbreviate(path), raw.toByteArray(), false);
    }

    private static Raw raw(String label, String text, boolean halfClose) {
        return new Raw(label, text.getBytes(StandardCharsets.ISO_8859_1), halfClose);
    }

    private static byte[][] json(String json) {
        return body("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[][] body(String type, String text) {
        return body(type, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[][] body(String type, byte[] bytes) {
        return new byte[][] {type.getBytes(StandardCharsets.ISO_8859_1), bytes};
    }

    private Reply exchange(Raw raw) throws IOException {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", node.uri().getPort()), 5_000);
            socket.setSoTimeout(HANG_MILLIS);
            try {
                socket.getOutputStream().write(raw.bytes());
                socket.getOutputStream().flush();
                if (raw.halfClose()) {
                    socket.shutdownOutput();
                }
            } catch (IOException e) {
                // the node may answer and close before it has read all: read what it said
            }
            return read(socket.getInputStream());
        }
    }

    /** The first answer's status, head and body (read to the end: every request asks to close). */
    private static Reply read(InputStream in) throws IOException {
        byte[] all = in.readAllBytes();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0) {
            return null;
        }
        // Skip an interim 100 Continue.
        while (text.startsWith("HTTP/1.1 1") && end >= 0) {
            text = text.substring(end + 4);
            end = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || end < 0) {
                return null;
            }
        }
        int status = Integer.parseInt(text.substring(9, 12));
        return new Reply(status, text.substring(0, end), text.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String pick(Random random, String[] options) {
        return options[random.nextInt(options.length)];
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String abbreviate(String text) {
        String oneLine = text.replace("\r", "\\r").replace("\n", "\\n");
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
    }
}
