package dev.arrow.runtime.runtimes;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A bootstrap started as a plain host process (no sandbox), the way the node starts it inside
 * one: the code directory as working directory, PORT and ARROW_* in a clean environment, stdout
 * and stderr into files. Always closed: the process and its descendants are killed by pid.
 */
final class BootstrapProcess implements AutoCloseable {

    /** The interpreters of these machines; `python3` on the PATH may be a pyenv shim. */
    private static final Map<String, String> INTERPRETERS = Map.of("python3", "/usr/bin/python3", "node", "/usr/bin/node");

    static final long MEMORY_LIMIT_BYTES = 128L << 20;

    final Process process;
    final int port;
    private final Path stdout;
    private final Path stderr;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private BootstrapProcess(Process process, int port, Path stdout, Path stderr) {
        this.process = process;
        this.port = port;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    static BootstrapProcess start(LanguageRuntime runtime, Path runtimeDir, Path code, String handler,
            Map<String, String> extraEnv) throws IOException {
        List<String> argv = new ArrayList<>(runtime.command(runtimeDir));
        argv.set(0, INTERPRETERS.getOrDefault(argv.get(0), argv.get(0)));
        int port = freePort();
        Path logs = Files.createTempDirectory("arrow-bootstrap-logs-");
        Path out = logs.resolve("stdout");
        Path err = logs.resolve("stderr");
        ProcessBuilder builder = new ProcessBuilder(argv).directory(code.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", code.toString());
        env.put("PORT", Integer.toString(port));
        env.put("ARROW_HANDLER", handler);
        env.put("ARROW_NAME", "my-arrow");
        env.put("ARROW_REVISION", "r7");
        env.put("ARROW_MEMORY_LIMIT_BYTES", Long.toString(MEMORY_LIMIT_BYTES));
        env.putAll(extraEnv);
        return new BootstrapProcess(builder.start(), port, out, err);
    }

    /** Starts and waits until the port accepts a connection. */
    static BootstrapProcess ready(LanguageRuntime runtime, Path runtimeDir, Path code, String handler)
            throws IOException, InterruptedException {
        BootstrapProcess bootstrap = start(runtime, runtimeDir, code, handler, Map.of());
        if (!bootstrap.awaitReady(Duration.ofSeconds(20))) {
            String log = bootstrap.stderr();
            bootstrap.close();
            throw new AssertionError(runtime.id() + " bootstrap for " + handler + " did not become ready: " + log);
        }
        return bootstrap;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** True once the port accepts; false when the process exited first (or the time ran out). */
    boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return true;
            } catch (IOException notYet) {
                Thread.sleep(10);
            }
        }
        return false;
    }

    /** The exit status, once the process has ended by itself. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the bootstrap is still running");
        }
        return process.exitValue();
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    HttpResponse<byte[]> post(byte[] body, String... headers) throws IOException, InterruptedException {
        return client.send(request(HttpRequest.BodyPublishers.ofByteArray(body), headers),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> post(String body, String... headers) throws IOException, InterruptedException {
        return post(body.getBytes(StandardCharsets.UTF_8), headers);
    }

    HttpRequest request(HttpRequest.BodyPublisher body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(30))
                .POST(body);
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return builder.build();
    }

    HttpClient client() {
        return client;
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    static String contentType(HttpResponse<byte[]> response) {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    /** A response read off a raw connection. */
    record RawResponse(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * Sends each body as a POST on one connection, in turn, reading each response before the next
     * request: fails if the server closes the connection in between.
     */
    List<RawResponse> onOneConnection(List<byte[]> bodies) throws IOException {
        List<RawResponse> responses = new ArrayList<>();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            int i = 0;
            for (byte[] body : bodies) {
                String head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nArrow-Invocation-Id: ka-" + i++
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                responses.add(readResponse(in));
            }
        }
        return responses;
    }

    static RawResponse readResponse(InputStream in) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) {
            throw new IOException("the connection was closed instead of a response");
        }
        String[] parts = statusLine.split(" ", 3);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        if (body.length != length) {
            throw new IOException("the body ended after " + body.length + " of " + length + " bytes");
        }
        return new RawResponse(Integer.parseInt(parts[1]), headers, body);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); ; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(b);
        }
    }

    /** Everything the server sends back to raw bytes, until it closes the connection. */
    byte[] sendRaw(byte[] request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return socket.getInputStream().readAllBytes();
        }
    }

    @Override
    public void close() throws InterruptedException {
        client.close();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
            Files.deleteIfExists(stdout.getParent());
        } catch (IOException ignored) {
            // a temporary directory left behind
        }
    }
}
