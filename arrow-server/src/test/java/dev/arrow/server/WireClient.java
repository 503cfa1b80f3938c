package dev.arrow.server;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over one socket, byte for byte: what a test writes is what the node reads, and each
 * answer is read as sent (chunks decoded), so keep-alive, pipelining and framing can be checked.
 */
final class WireClient implements AutoCloseable {

    private final Socket socket = new Socket();
    private final InputStream in;
    private final OutputStream out;

    WireClient(int port) throws IOException {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(15_000);
        in = new java.io.BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** An answer; {@code chunked}: its body came in chunks. */
    record Answer(String statusLine, Map<String, String> headers, byte[] body, boolean chunked) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    WireClient send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    WireClient send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    /** The next answer; {@code head}: it answers a HEAD, so it has no body whatever it says. */
    Answer read(boolean head) throws IOException {
        String statusLine = line();
        var headers = new LinkedHashMap<String, String>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        var body = new ByteArrayOutputStream();
        boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
        if (head || status < 200 || status == 204 || status == 304) {
            return new Answer(statusLine, headers, new byte[0], false);
        }
        if (chunked) {
            for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            line();
        } else if (headers.containsKey("content-length")) {
            int length = Integer.parseInt(headers.get("content-length"));
            byte[] bytes = in.readNBytes(length);
            if (bytes.length < length) {
                throw new EOFException("the body ended after " + bytes.length + " of " + length + " bytes");
            }
            body.write(bytes);
        } else {
            body.write(in.readAllBytes());
        }
        return new Answer(statusLine, headers, body.toByteArray(), chunked);
    }

    Answer read() throws IOException {
        return read(false);
    }

    /** Whether the node closed the connection: the next read finds its end. */
    boolean closedByPeer() throws IOException {
        return in.read() < 0;
    }

    private String line() throws IOException {
        var line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new EOFException("the connection ended mid-line: " + line);
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
