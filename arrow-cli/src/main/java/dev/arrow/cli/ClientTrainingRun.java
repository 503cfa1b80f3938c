package dev.arrow.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The workload the launcher records the node commands' JVM start-up cache from: the commands a
 * user types most, in one JVM, against answers shaped as a node's, served from a loopback socket
 * of this JVM. A cache recorded from {@code serve} would make every short command load and link
 * the whole node at start; this one holds what the client needs and nothing else.
 */
public final class ClientTrainingRun {

    private static final String DIGEST = "sha256:" + "0".repeat(64);
    private static final String SPEC = "{\"name\":\"training\",\"mode\":\"exec\",\"command\":[\"python3\",\"/code/main.py\"],"
            + "\"env\":{\"LANG\":\"C.UTF-8\"},\"bundle\":\"" + DIGEST + "\",\"limits\":{\"memory\":134217728,"
            + "\"cpus\":1.0,\"pids\":128,\"timeout\":30000,\"tmpfs\":67108864},\"network\":\"none\","
            + "\"scaling\":{\"concurrency\":1,\"minInstances\":0,\"maxInstances\":10}}";
    private static final String ARROW = "{\"name\":\"training\",\"latestRevision\":2,\"trafficRevision\":2,"
            + "\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T23:55:00Z\",\"spec\":" + SPEC + "}";
    private static final String RECORD = "{\"id\":\"01training\",\"arrow\":\"training\",\"revision\":2,\"status\":\"succeeded\","
            + "\"trigger\":\"api\",\"acceptedAt\":\"2026-01-01T23:59:50Z\",\"startedAt\":\"2026-01-01T23:59:50Z\","
            + "\"finishedAt\":\"2026-01-01T23:59:51Z\",\"cold\":true,\"initMs\":1.5,\"durationMs\":12.5,"
            + "\"cpuMs\":3.25,\"peakMemoryBytes\":3391488,\"billedGbSeconds\":0.0016,\"outcome\":\"exited\",\"exitCode\":0}";

    /** Request line prefix -> answer (status, content type, body). */
    private static final Map<String, String[]> ANSWERS = Map.ofEntries(
            Map.entry("GET /v1/arrows/training/revisions", ok("{\"revisions\":[{\"number\":2,\"createdAt\":"
                    + "\"2026-01-01T23:00:00Z\",\"spec\":" + SPEC + "}]}")),
            Map.entry("GET /v1/arrows/training/logs", ok("{\"entries\":[{\"id\":\"01training\",\"acceptedAt\":"
                    + "\"2026-01-01T23:59:50Z\",\"status\":\"succeeded\",\"log\":\"a line\\n\"}]}")),
            Map.entry("GET /v1/arrows/training", ok(ARROW)),
            Map.entry("GET /v1/arrows", ok("{\"arrows\":[" + ARROW + "]}")),
            Map.entry("POST /v1/arrows/training/invoke?async=true",
                    new String[] {"202", "application/json", "{\"id\":\"01training\",\"status\":\"queued\"}"}),
            Map.entry("POST /v1/arrows/training/invoke", new String[] {"200", "application/octet-stream", "3\n"}),
            Map.entry("POST /v1/arrows/training/rollback", ok(ARROW)),
            Map.entry("POST /v1/arrows", new String[] {"201", "application/json", ARROW}),
            Map.entry("DELETE /v1/arrows/training", new String[] {"204", "application/json", ""}),
            Map.entry("GET /v1/invocations/01training/logs", new String[] {"200", "text/plain", "a line\n"}),
            Map.entry("GET /v1/invocations/01training", ok(RECORD)),
            Map.entry("GET /v1/invocations", ok("{\"invocations\":[" + RECORD + "],\"next\":null}")),
            Map.entry("GET /v1/arrows/missing", new String[] {"404", "application/json",
                    "{\"error\":{\"code\":\"not_found\",\"message\":\"no arrow named 'missing'\"}}"}),
            Map.entry("PUT /v1/kv/training/keys/greeting", new String[] {"201", "application/json",
                    "{\"store\":\"training\",\"key\":\"greeting\",\"revision\":1}"}),
            Map.entry("GET /v1/kv/training/keys/greeting", new String[] {"200", "application/octet-stream", "hello"}),
            Map.entry("GET /v1/kv/training/keys", ok("{\"keys\":[{\"key\":\"greeting\",\"revision\":1,\"size\":5,"
                    + "\"modifiedAt\":\"2026-01-01T23:59:50Z\"}],\"next\":null}")),
            Map.entry("GET /v1/kv", ok("{\"stores\":[{\"name\":\"training\",\"maxBytes\":67108864,\"maxKeys\":100000,"
                    + "\"bytes\":13,\"keys\":1,\"revision\":1,\"createdAt\":\"2026-01-01T23:59:50Z\"}]}")),
            Map.entry("POST /v1/queues/training/messages", new String[] {"201", "application/json",
                    "{\"queue\":\"training\",\"id\":\"01message\",\"sentAt\":\"2026-01-01T23:59:50Z\","
                            + "\"visibleAt\":\"2026-01-01T23:59:50Z\"}"}),
            Map.entry("POST /v1/queues/training/receive", ok("{\"messages\":[{\"id\":\"01message\",\"bodyBase64\":"
                    + "\"aGVsbG8=\",\"body\":\"hello\",\"receiptHandle\":\"handle\",\"receiveCount\":1,"
                    + "\"sentAt\":\"2026-01-01T23:59:50Z\",\"firstReceivedAt\":\"2026-01-01T23:59:51Z\"}]}")),
            Map.entry("POST /v1/queues/training/delete", new String[] {"204", "application/json", ""}),
            Map.entry("GET /v1/queues", ok("{\"queues\":[{\"name\":\"training\",\"visible\":1,\"inFlight\":0,"
                    + "\"delayed\":0,\"oldestMessageAge\":1000,\"createdAt\":\"2026-01-01T23:59:50Z\"}]}")),
            Map.entry("POST /v1/keys", new String[] {"201", "application/json", "{\"accessKeyId\":\"AKARTRAINING00000000\","
                    + "\"secretAccessKey\":\"trainingtrainingtrainingtrainingtraining\",\"name\":\"training\","
                    + "\"createdAt\":\"2026-01-01T23:59:50Z\"}"}),
            Map.entry("GET /v1/buckets/training/objects/greeting", new String[] {"200", "text/plain", "hello"}),
            Map.entry("GET /v1/buckets/training/objects", ok("{\"objects\":[{\"key\":\"greeting\",\"size\":5,"
                    + "\"etag\":\"5d41402abc4b2a76b9719d911017c592\",\"lastModified\":\"2026-01-01T23:59:50Z\","
                    + "\"contentType\":\"text/plain\"}]}")),
            Map.entry("GET /v1/buckets", ok("{\"buckets\":[{\"name\":\"training\",\"createdAt\":"
                    + "\"2026-01-01T23:59:50Z\",\"objects\":1,\"bytes\":5}]}")),
            Map.entry("GET /v1/keys", ok("{\"keys\":[{\"accessKeyId\":\"AKARTRAINING00000000\",\"name\":\"training\","
                    + "\"createdAt\":\"2026-01-01T23:59:50Z\"}]}")));

    private static final List<List<String>> COMMANDS = List.of(
            List.of("--version"),
            List.of("--help"),
            List.of("ls"),
            List.of("ls", "--json"),
            List.of("inspect", "training"),
            List.of("inspect", "missing"),
            List.of("invoke", "training", "--data", "a b c"),
            List.of("invoke", "training", "--async", "--data", "later"),
            List.of("invoke", "-v", "training", "--data", "{}"),
            List.of("invocations"),
            List.of("invocations", "--arrow", "training", "--json"),
            List.of("logs", "training"),
            List.of("deploy", "training", "--memory", "64m", "--timeout", "10s", "--", "echo", "hello"),
            List.of("rollback", "training"),
            List.of("rm", "training"),
            List.of("kv", "put", "training", "greeting", "hello"),
            List.of("kv", "get", "training", "greeting"),
            List.of("kv", "ls", "training"),
            List.of("kv", "stores"),
            List.of("queue", "send", "training", "hello"),
            List.of("queue", "receive", "training", "--delete"),
            List.of("queue", "ls"),
            List.of("keys", "create", "training"),
            List.of("keys", "ls"),
            List.of("bucket", "ls"),
            List.of("bucket", "ls", "training"),
            List.of("bucket", "get", "training", "greeting"),
            List.of("ls", "--bogus"));

    private ClientTrainingRun() {
    }

    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().name("arrow-training-answers").daemon().start(() -> answer(server));
            var nowhere = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            var context = CliContext.of(InputStream.nullInputStream(), nowhere, nowhere,
                    Map.of(TokenResolver.NODE_ENV, "http://127.0.0.1:" + server.getLocalPort(),
                            TokenResolver.TOKEN_ENV, "training"));
            for (int round = 0; round < 2; round++) {
                for (List<String> command : COMMANDS) {
                    ArrowCli.run(context, command.toArray(String[]::new));
                }
            }
        }
    }

    private static String[] ok(String json) {
        return new String[] {"200", "application/json", json};
    }

    private static void answer(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                var in = new BufferedInputStream(socket.getInputStream());
                Head head = readHead(in);
                in.readNBytes(head.contentLength());
                String requestLine = head.requestLine();
                String[] answer = ANSWERS.entrySet().stream()
                        .filter(entry -> requestLine.startsWith(entry.getKey()))
                        .max(Map.Entry.comparingByKey((a, b) -> Integer.compare(a.length(), b.length())))
                        .map(Map.Entry::getValue)
                        .orElse(new String[] {"404", "application/json", "{\"error\":{\"code\":\"not_found\"}}"});
                byte[] body = answer[2].getBytes(StandardCharsets.UTF_8);
                String answerHead = "HTTP/1.1 " + answer[0] + " X\r\nContent-Type: " + answer[1] + "\r\nContent-Length: "
                        + body.length + "\r\nX-Arrow-Invocation-Id: 01training\r\nX-Arrow-Cold: true\r\nETag: \"1\"\r\n"
                        + "Connection: close\r\n\r\n";
                OutputStream out = socket.getOutputStream();
                out.write(answerHead.getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // the server socket closed at the end of the run, or a command gave up: either way, go on
            }
        }
    }

    private record Head(String requestLine, int contentLength) {
    }

    private static Head readHead(InputStream in) throws IOException {
        int contentLength = 0;
        String requestLine = null;
        while (true) {
            var line = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("end of request");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            if (line.isEmpty()) {
                return new Head(requestLine == null ? "" : requestLine, contentLength);
            }
            if (requestLine == null) {
                requestLine = line.toString();
            } else if (line.toString().regionMatches(true, 0, "Content-Length:", 0, 15)) {
                contentLength = Integer.parseInt(line.substring(15).strip());
            }
        }
    }
}
