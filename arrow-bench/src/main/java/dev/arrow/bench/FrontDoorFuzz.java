package dev.arrow.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A seeded fuzz of a node's front door over raw sockets: odd methods and paths, broken JSON,
 * broken HTTP framing, broken archives, bad tokens and odd query strings, each request on a
 * connection of its own; and requests pipelined on one kept-alive connection behind gateway
 * requests, the last one's body arriving after a pause. What it looks for: an answer that is a 500, a request without an answer
 * within {@link #HANG_MILLIS} (a hang), an answer that names a Java class, and stack traces in the
 * node's log. Used by {@code arrow bench fuzz} and by {@code FrontDoorFuzzIT}.
 */
final class FrontDoorFuzz {

    /** An answer later than this is a hang: every request here is small and the arrow is `cat`. */
    static final int HANG_MILLIS = 15_000;
    /** At most this many requests at once. */
    static final int MAX_CONCURRENCY = 4;
    static final Pattern JAVA_NAME = Pattern.compile(
            "\\b(java|javax|jdk|sun|org\\.eclipse|com\\.fasterxml|org\\.apache|dev\\.arrow)\\.[a-z]+\\.|[A-Z][a-zA-Z]+Exception\\b"
                    + "|StreamReadConstraints|\\bat [a-z]+\\.[a-z]+\\.");
    /** The arrow the requests name; {@link #prepare()} deploys it. */
    static final String ECHO_SPEC = "{\"name\":\"echo\",\"command\":[\"cat\"],\"limits\":{\"timeout\":\"5s\"}}";
    /** An http-mode arrow, so that pipelined requests follow requests the gateway forwards itself. */
    static final String WEB_SPEC = "{\"name\":\"web\",\"mode\":\"http\",\"command\":" + WarmApp.commandJson()
            + ",\"scaling\":{\"minInstances\":1,\"maxInstances\":1,\"concurrency\":8}}";

    /** The kinds of requests, in the order the generator draws them. */
    enum Kind {
        ODD_PATH("odd method or path"),
        BROKEN_JSON("broken JSON"),
        BROKEN_FRAMING("broken HTTP framing"),
        BROKEN_ARCHIVE("broken archive"),
        BAD_TOKEN("bad token"),
        ODD_QUERY("odd query"),
        PIPELINED("pipelined behind gateway requests");

        final String description;

        Kind(String description) {
            this.description = description;
        }
    }

    /** What a request found wrong. */
    enum Problem {
        SERVER_ERROR("a 5xx other than 503 and 505"),
        MISSING_ANSWER("pipelined requests with fewer answers than requests"),
        HANG("no answer within " + HANG_MILLIS / 1000 + " s"),
        JAVA_NAME("an answer naming a Java class");

        final String description;

        Problem(String description) {
            this.description = description;
        }
    }

    /**
     * One request (or a few on one connection): its kind, a label, its bytes, the bytes sent after
     * a pause of {@code pauseMillis} (none for most), and whether the client half-closes after all.
     */
    record Raw(Kind kind, String label, byte[] bytes, byte[] later, int pauseMillis, boolean halfClose) {
        Raw(Kind kind, String label, byte[] bytes, boolean halfClose) {
            this(kind, label, bytes, new byte[0], 0, halfClose);
        }
    }

    /**
     * The first answer on a connection (its status, head and body), or of pipelined answers the
     * first that is a server error; and how many final answers came.
     */
    record Reply(int status, String head, byte[] body, int answers) {
        String text() {
            return head + "\r\n\r\n" + new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A request that found a problem, and what the node answered (empty for a hang). */
    record Finding(Problem problem, Raw request, String answer) {
        String describe() {
            return problem.description + ", " + request.kind().description + " (" + request.label() + "): "
                    + abbreviate(new String(request.bytes(), StandardCharsets.ISO_8859_1))
                    + (answer.isEmpty() ? "" : " -> " + abbreviate(answer));
        }
    }

    /** What a run found. */
    static final class Result {
        final int requests;
        final long nanos;
        /** Answers by status code. */
        final SortedMap<Integer, Integer> byStatus = new TreeMap<>();
        /** Connections the node closed without an HTTP answer, by a clean close or by a reset. */
        int closedWithoutAnswer;
        int reset;
        final Map<Problem, Integer> problems = new EnumMap<>(Problem.class);
        /** The first finding of each problem and kind. */
        final Map<String, Finding> examples = new LinkedHashMap<>();

        private Result(int requests, long nanos) {
            this.requests = requests;
            this.nanos = nanos;
        }

        int answered() {
            return byStatus.values().stream().mapToInt(Integer::intValue).sum();
        }

        int count(Problem problem) {
            return problems.getOrDefault(problem, 0);
        }

        /** Answers by status class: 1xx to 5xx. */
        SortedMap<String, Integer> byClass() {
            var classes = new TreeMap<String, Integer>();
            byStatus.forEach((status, n) -> classes.merge(status / 100 + "xx", n, Integer::sum));
            return classes;
        }

        List<Finding> firstFindings() {
            return List.copyOf(examples.values());
        }

        private void add(Outcome outcome) {
            if (outcome.reply() != null) {
                byStatus.merge(outcome.reply().status(), 1, Integer::sum);
            } else if (outcome.problem() == null) {
                closedWithoutAnswer++;
                if (outcome.reset()) {
                    reset++;
                }
            }
            if (outcome.problem() != null) {
                problems.merge(outcome.problem(), 1, Integer::sum);
                examples.putIfAbsent(outcome.problem() + " " + outcome.raw().kind(), new Finding(outcome.problem(),
                        outcome.raw(), outcome.reply() == null ? "" : outcome.reply().text()));
            }
        }
    }

    private final String host;
    private final int port;
    private final String token;

    FrontDoorFuzz(URI base, String token) {
        this.host = base.getHost();
        this.port = base.getPort();
        this.token = token;
    }

    /** {@code count} requests drawn from {@code seed}: the same seed gives the same requests. */
    List<Raw> requests(long seed, int count) {
        var random = new Random(seed);
        List<BiFunction<FrontDoorFuzz, Random, Raw>> kinds = List.of(FrontDoorFuzz::oddPath, FrontDoorFuzz::brokenJson,
                FrontDoorFuzz::brokenFraming, FrontDoorFuzz::brokenArchive, FrontDoorFuzz::badToken, FrontDoorFuzz::oddQuery,
                FrontDoorFuzz::pipelined);
        List<Raw> requests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            requests.add(kinds.get(random.nextInt(kinds.size())).apply(this, random));
        }
        return requests;
    }

    /** Sends every request on a connection of its own, {@code concurrency} at a time, and judges the answers. */
    Result run(List<Raw> requests, int concurrency) throws InterruptedException {
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new IllegalArgumentException("the fuzz sends 1 to " + MAX_CONCURRENCY + " requests at a time");
        }
        long start = System.nanoTime();
        List<Future<Outcome>> outcomes = new ArrayList<>(requests.size());
        try (var pool = Executors.newFixedThreadPool(concurrency, Thread.ofPlatform().name("fuzz-", 0).factory())) {
            for (Raw raw : requests) {
                outcomes.add(pool.submit(() -> judge(raw)));
            }
        }
        var result = new Result(requests.size(), System.nanoTime() - start);
        // In the order sent, so that the first example of a kind is the same for a seed.
        for (Future<Outcome> outcome : outcomes) {
            try {
                result.add(outcome.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException("the fuzz itself failed", e.getCause());
            }
        }
        return result;
    }

    /** What one request got: an answer (with a problem or none), or a connection closed without one. */
    private record Outcome(Raw raw, Reply reply, Problem problem, boolean reset) {
    }

    private Outcome judge(Raw raw) {
        try {
            Reply reply = exchange(raw);
            if (reply == null) {
                // the node closed the connection without an answer to bytes that were not HTTP
                return new Outcome(raw, null, null, false);
            } else if (reply.status() >= 500 && reply.status() != 503 && reply.status() != 505) {
                return new Outcome(raw, reply, Problem.SERVER_ERROR, false);
            } else if (raw.kind() == Kind.PIPELINED && reply.answers() < requestsIn(raw)) {
                return new Outcome(raw, reply, Problem.MISSING_ANSWER, false);
            } else if (JAVA_NAME.matcher(reply.text()).find()) {
                return new Outcome(raw, reply, Problem.JAVA_NAME, false);
            }
            return new Outcome(raw, reply, null, false);
        } catch (SocketTimeoutException e) {
            return new Outcome(raw, null, Problem.HANG, false);
        } catch (IOException e) {
            // a reset after a malformed request is the node's right; a hang or a 500 is not
            return new Outcome(raw, null, null, true);
        }
    }

    private static int requestsIn(Raw raw) {
        return (int) REQUEST_LINE.matcher(new String(raw.bytes(), StandardCharsets.ISO_8859_1)).results().count();
    }

    /**
     * Deploys the arrow `echo` (`cat`) that the requests name and invokes it a few times, so that
     * what a node opens on its first invocations is open before its idle figures are taken.
     *
     * @throws ProcessFailedException when the node does not deploy or invoke it
     */
    void prepare() throws IOException, ProcessFailedException {
        Reply deployed = exchange(request("POST", "/v1/arrows", json(ECHO_SPEC), true));
        if (deployed == null || deployed.status() != 201) {
            throw new ProcessFailedException("deploying echo answered " + (deployed == null ? "nothing" : abbreviate(deployed.text())));
        }
        for (int i = 0; i < 3; i++) {
            Reply echo = exchange(request("POST", "/v1/arrows/echo/invoke", body("text/plain", "warm"), true));
            if (echo == null || echo.status() != 200) {
                throw new ProcessFailedException("invoking echo answered " + (echo == null ? "nothing" : abbreviate(echo.text())));
            }
        }
        Reply web = exchange(request("POST", "/v1/arrows", json(WEB_SPEC), true));
        if (web == null || web.status() != 201) {
            throw new ProcessFailedException("deploying web answered " + (web == null ? "nothing" : abbreviate(web.text())));
        }
        for (int i = 0; i < 3; i++) {
            Reply page = exchange(request("GET", "/a/web/", body("text/plain", new byte[0]), false));
            if (page == null || page.status() != 200) {
                throw new ProcessFailedException("calling web answered " + (page == null ? "nothing" : abbreviate(page.text())));
            }
        }
    }

    /**
     * Whether the node still deploys and invokes after the fuzz (which may have deleted or
     * redeployed `echo`): empty when it does, else what went wrong.
     */
    String stillWorks() throws IOException {
        Reply deployed = exchange(request("POST", "/v1/arrows", json("{\"name\":\"after\",\"command\":[\"cat\"]}"), true));
        if (deployed == null || deployed.status() != 201) {
            return "deploying answered " + (deployed == null ? "nothing" : abbreviate(deployed.text()));
        }
        Reply echo = exchange(request("POST", "/v1/arrows/after/invoke", body("text/plain", "still here"), true));
        if (echo == null || echo.status() != 200 || !"still here".equals(new String(echo.body(), StandardCharsets.UTF_8))) {
            return "invoking answered " + (echo == null ? "nothing" : abbreviate(echo.text()));
        }
        return "";
    }

    /**
     * The stack traces and SEVERE records in a node's log lines: the first line of each (a trace
     * with the log line before it), in order.
     */
    static List<String> stackTraces(List<String> log) {
        List<String> found = new ArrayList<>();
        boolean inTrace = false;
        int lastSevere = -10;
        for (int i = 0; i < log.size(); i++) {
            String line = log.get(i);
            if (line.startsWith("\tat ")) {
                if (!inTrace && i - lastSevere > 2) { // a SEVERE record's own trace is counted once
                    found.add(abbreviate((i > 0 ? log.get(i - 1) + " | " : "") + line));
                }
                inTrace = true;
            } else if (inTrace && (line.startsWith("\t") || line.startsWith("Caused by: "))) {
                continue;
            } else {
                inTrace = false;
                if (line.contains(" SEVERE ")) {
                    found.add(abbreviate(line));
                    lastSevere = i;
                }
            }
        }
        return found;
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
        if (method.equals("DELETE") && path.equals("/v1/arrows/echo")) {
            path = "/v1/arrows/fz"; // echo stays: the invoke and body paths are what the other kinds reach through it
        }
        byte[] body = random.nextBoolean() ? new byte[0] : randomBytes(random, random.nextInt(64));
        return request(Kind.ODD_PATH, method, path,
                body(random.nextBoolean() ? "application/json" : "text/plain", body), true);
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
        "[".repeat(5000), "{\"a\":".repeat(3000), "\u0000\u0001", "{\"name\":\"\\ud800\",\"command\":[\"cat\"]}"};

    private Raw brokenJson(Random random) {
        String json = random.nextInt(3) == 0
                ? SPEC.substring(0, random.nextInt(SPEC.length()))
                : pick(random, JSON_ODDITIES);
        String path = pick(random, new String[] {"/v1/arrows", "/v1/arrows/echo/rollback", "/v1/arrows/echo"});
        return request(Kind.BROKEN_JSON, random.nextBoolean() ? "POST" : "PUT", path, json(json), true);
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
        return request(Kind.BROKEN_ARCHIVE, "POST", "/v1/bundles", body(type, body), random.nextBoolean());
    }

    private Raw badToken(Random random) {
        String token = pick(random, new String[] {"", "wrong", "Bearer", "\u00e9\u00e9", " ".repeat(10), "x".repeat(5000)});
        String auth = random.nextBoolean() ? "Authorization: Bearer " + token : "Authorization: " + token;
        String raw = pick(random, new String[] {"GET", "POST", "DELETE"}) + " " + pick(random, PATHS)
                + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        return new Raw(Kind.BAD_TOKEN, "token '" + abbreviate(token) + "'", raw.getBytes(StandardCharsets.ISO_8859_1), false);
    }

    private static final String[] QUERIES = {"limit=%zz", "%=%", "limit=%c3%28", "limit=-1", "limit=abc",
        "limit=99999999999999999999", "status=bogus", "before=%00", "arrow=%2F%2E%2E", "async=maybe", "async=%",
        "&&&", "=", "limit", "limit=1&limit=2", "a=" + "%41".repeat(2000)};

    private Raw oddQuery(Random random) {
        String path = pick(random, new String[] {"/v1/invocations", "/v1/arrows/echo/logs", "/v1/arrows",
            "/v1/arrows/echo/invoke", "/a/echo/"});
        String method = path.endsWith("invoke") ? "POST" : "GET";
        return request(Kind.ODD_QUERY, method, path + "?" + pick(random, QUERIES), body("text/plain", new byte[0]), true);
    }

    private static final String[] GATEWAY_FIRST = {"GET /a/web/ HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /a/web/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        "GET /a/nope/ HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a/web/a%20b HTTP/1.1\r\nHost: x\r\n\r\n"};

    /**
     * One to three gateway requests kept alive, then an API request with a body, all sent at once
     * but for the end of that body, which follows after a pause: by then the lean path has handed
     * the connection to Jetty's, which must still get it.
     */
    private Raw pipelined(Random random) {
        var first = new StringBuilder();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            first.append(pick(random, GATEWAY_FIRST));
        }
        String[] lastOptions = {"POST /v1/arrows/echo/invoke", "POST /v1/arrows", "POST /v1/bundles", "POST /v1/arrows/echo/rollback"};
        String last = pick(random, lastOptions);
        byte[] body = switch (last) {
            case "POST /v1/arrows" -> SPEC.getBytes(StandardCharsets.UTF_8);
            case "POST /v1/bundles" -> randomBytes(random, 1 + random.nextInt(2048));
            case "POST /v1/arrows/echo/rollback" -> "{}".getBytes(StandardCharsets.UTF_8);
            default -> randomBytes(random, 1 + random.nextInt(4096));
        };
        String type = last.endsWith("bundles") ? "application/gzip" : last.endsWith("invoke") ? "text/plain" : "application/json";
        first.append(last).append(" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ").append(token)
                .append("\r\nContent-Type: ").append(type).append("\r\nContent-Length: ").append(body.length)
                .append("\r\nConnection: close\r\n\r\n");
        int split = random.nextInt(body.length);
        var now = new ByteArrayOutputStream();
        now.writeBytes(first.toString().getBytes(StandardCharsets.ISO_8859_1));
        now.write(body, 0, split);
        byte[] later = Arrays.copyOfRange(body, split, body.length);
        return new Raw(Kind.PIPELINED, n + " gateway requests, then " + last, now.toByteArray(), later,
                10 + random.nextInt(50), false);
    }

    // ---- the wire

    private Raw request(String method, String path, byte[][] typedBody, boolean authorized) {
        return request(Kind.ODD_PATH, method, path, typedBody, authorized);
    }

    private Raw request(Kind kind, String method, String path, byte[][] typedBody, boolean authorized) {
        var raw = new ByteArrayOutputStream();
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (authorized ? "Authorization: Bearer " + token + "\r\n" : "")
                + "Content-Type: " + new String(typedBody[0], StandardCharsets.ISO_8859_1) + "\r\n"
                + "Content-Length: " + typedBody[1].length + "\r\nConnection: close\r\n\r\n";
        raw.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        raw.writeBytes(typedBody[1]);
        return new Raw(kind, method + " " + abbreviate(path), raw.toByteArray(), false);
    }

    private static Raw raw(String label, String text, boolean halfClose) {
        return new Raw(Kind.BROKEN_FRAMING, label, text.getBytes(StandardCharsets.ISO_8859_1), halfClose);
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

    /**
     * Sends one request on a new connection and reads to the end.
     *
     * @return the first answer, or null when the node closed the connection without one
     * @throws SocketTimeoutException when the node said nothing for {@link #HANG_MILLIS}
     */
    Reply exchange(Raw raw) throws IOException {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(HANG_MILLIS);
            try {
                socket.getOutputStream().write(raw.bytes());
                socket.getOutputStream().flush();
                if (raw.later().length > 0) {
                    Thread.sleep(raw.pauseMillis());
                    socket.getOutputStream().write(raw.later());
                    socket.getOutputStream().flush();
                }
                if (raw.halfClose()) {
                    socket.shutdownOutput();
                }
            } catch (IOException e) {
                // the node may answer and close before it has read all: read what it said
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
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
        int answers = 0;
        Matcher next = ANSWER.matcher(text);
        while (next.find()) {
            int code = Integer.parseInt(next.group(1));
            if (code >= 200) {
                answers++;
            }
            if (answers > 1 && code >= 500 && code != 503 && code != 505 && status < 500) {
                int at = next.start();
                int headEnd = text.indexOf("\r\n\r\n", at);
                return new Reply(code, text.substring(at, headEnd < 0 ? text.length() : headEnd), new byte[0], answers);
            }
        }
        return new Reply(status, text.substring(0, end), text.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1),
                answers);
    }

    /** A status line; the bodies here never hold one. */
    private static final Pattern ANSWER = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
    private static final Pattern REQUEST_LINE = Pattern.compile(" HTTP/1\\.1\r\n");

    private static String pick(Random random, String[] options) {
        return options[random.nextInt(options.length)];
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** {@code text} on one line, control and non-ASCII characters escaped, cut after 200 characters. */
    static String abbreviate(String text) {
        var oneLine = new StringBuilder();
        int i = 0;
        for (; i < text.length() && oneLine.length() < 200; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\r' -> oneLine.append("\\r");
                case '\n' -> oneLine.append("\\n");
                case '\t' -> oneLine.append("\\t");
                default -> {
                    if (c > 0xff) {
                        oneLine.append(String.format("\\u%04x", (int) c));
                    } else if (c < 0x20 || c >= 0x7f) {
                        oneLine.append(String.format("\\x%02x", (int) c));
                    } else {
                        oneLine.append(c);
                    }
                }
            }
        }
        return i < text.length() ? oneLine + "..." : oneLine.toString();
    }
}
