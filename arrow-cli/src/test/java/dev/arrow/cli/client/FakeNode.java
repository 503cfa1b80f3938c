package dev.arrow.cli.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the node on 127.0.0.1 and a free port: canned answers by "METHOD /path?query",
 * and every request recorded.
 */
public final class FakeNode implements AutoCloseable {

    /** A request as received. */
    public record Request(String method, String pathAndQuery, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            return headers.entrySet().stream()
                    .filter(entry -> entry.getKey().equalsIgnoreCase(name))
                    .map(entry -> entry.getValue().getFirst())
                    .findFirst().orElse(null);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** An answer: status, body, content type and extra headers. */
    public record Answer(int status, byte[] body, String contentType, Map<String, String> headers) {
        public static Answer json(int status, String json) {
            return new Answer(status, json.getBytes(StandardCharsets.UTF_8), "application/json", Map.of());
        }

        public static Answer error(int status, String code, String message) {
            return json(status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}");
        }

        public Answer with(String header, String value) {
            var more = new java.util.LinkedHashMap<>(headers);
            more.put(header, value);
            return new Answer(status, body, contentType, more);
        }
    }

    public static final String TOKEN = "test-token";

    private final HttpServer server;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, Queue<Answer>> turns = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile boolean checkToken = true;

    public FakeNode() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public FakeNode answer(String methodAndPath, Answer answer) {
        answers.put(methodAndPath, answer);
        return this;
    }

    public FakeNode answerJson(String methodAndPath, int status, String json) {
        return answer(methodAndPath, Answer.json(status, json));
    }

    /** Answers in turn, one per request, for what changes between polls; then as {@link #answer}. */
    public FakeNode answerInTurn(String methodAndPath, Answer... inTurn) {
        turns.put(methodAndPath, new ConcurrentLinkedQueue<>(List.of(inTurn)));
        return this;
    }

    public List<Request> requests() {
        return requests;
    }

    public Request last() {
        return requests.getLast();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            String pathAndQuery = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
            var request = new Request(exchange.getRequestMethod(), pathAndQuery, Map.copyOf(exchange.getRequestHeaders()),
                    body);
            requests.add(request);
            Answer answer;
            if (checkToken && !("Bearer " + TOKEN).equals(request.header("Authorization"))) {
                answer = Answer.error(401, "unauthorized", "missing or invalid token");
            } else {
                String key = request.method() + " " + pathAndQuery;
                Answer next = turns.getOrDefault(key, new ArrayDeque<>()).poll();
                answer = next != null ? next
                        : answers.getOrDefault(key, Answer.error(404, "not_found", "no route " + pathAndQuery));
            }
            answer.headers().forEach(exchange.getResponseHeaders()::add);
            if (answer.contentType() != null) {
                exchange.getResponseHeaders().add("Content-Type", answer.contentType());
            }
            exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
            exchange.getResponseBody().write(answer.body());
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
