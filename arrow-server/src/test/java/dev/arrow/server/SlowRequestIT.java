package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.platform.invocations.DispatchSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that trickles a request in, a byte at a time well inside the idle timeout, gets a 408
 * once the node's head or body deadline passes, instead of holding a connection or a handler for as
 * long as it likes (slow-loris).
 */
class SlowRequestIT {

    @TempDir
    Path home;

    private Node node;
    private String token;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT)
                .withBodyDeadline(Duration.ofSeconds(1)).withHeadDeadline(Duration.ofSeconds(1)));
        token = Files.readString(home.resolve("token")).strip();
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aBodyTricklingInPastTheDeadlineGets408() throws Exception {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", node.uri().getPort()), 5_000);
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/arrows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();
            // One byte every 200 ms: the connection is never idle, the body never whole.
            String answer = "";
            for (int i = 0; i < 100 && in.available() == 0; i++) {
                try {
                    out.write(' ');
                    out.flush();
                } catch (IOException closed) {
                    break; // the node answered and closed: read what it said
                }
                Thread.sleep(200);
            }
            answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"code\":\"request_timeout\"")
                    .contains("did not arrive whole within 1 s");
            assertThat(seconds).as("answered well before the 20 s of trickle").isLessThan(15);
        }
    }

    @Test
    void aBodyThatArrivesInTimeIsServed() throws Exception {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", node.uri().getPort()), 5_000);
            socket.setSoTimeout(20_000);
            String body = "{\"name\":\"ok\",\"command\":[\"cat\"]}";
            socket.getOutputStream().write(("POST /v1/arrows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 201 ");
        }
    }

    @Test
    void aHeadTricklingInPastTheDeadlineGets408AndTheConnectionCloses() throws Exception {
        try (var socket = connect()) {
            socket.getOutputStream().write("GET /v1/arrows HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
            long start = System.nanoTime();
            String answer = trickleUntilAnswered(socket);
            assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"code\":\"request_timeout\"")
                    .contains("head (its request line and headers) took longer than 1 s");
            assertThat((System.nanoTime() - start) / 1_000_000_000L).as("answered well before the 20 s of trickle").isLessThan(15);
        }
    }

    @Test
    void theDeadlineRunsPerRequestFromItsFirstByte_notWhileAKeptAliveConnectionWaits() throws Exception {
        try (var socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            String unknownArrow = "GET /a/nosuch/ HTTP/1.1\r\nHost: x\r\n\r\n"; // answered on the gateway's own path
            out.write(unknownArrow.getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 404 ");
            Thread.sleep(1_500); // idle past the deadline between requests: that is the idle timeout's business
            out.write(unknownArrow.getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 404 ");
            out.write("GET /a/nosuch/ HTTP/1.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(trickleUntilAnswered(socket)).startsWith("HTTP/1.1 408 ");
        }
    }

    private Socket connect() throws IOException {
        var socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", node.uri().getPort()), 5_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    /** One byte every 200 ms, for at most 20 s, until the node answers; then the whole answer, to its close. */
    private static String trickleUntilAnswered(Socket socket) throws Exception {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        for (int i = 0; i < 100 && in.available() == 0; i++) {
            try {
                out.write('a');
                out.flush();
            } catch (IOException closed) {
                break;
            }
            Thread.sleep(200);
        }
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** One answer with a Content-Length body, leaving the connection open. */
    private static String readAnswer(InputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        var length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
        return head + new String(in.readNBytes(bodyLength), StandardCharsets.ISO_8859_1);
    }
}
