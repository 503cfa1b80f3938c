package dev.arrow.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * The lightest HTTP/1.1 client a load test can have: one kept-alive connection, one fixed request
 * (a GET, or a POST without a body, or with a body given each time), answers read by their Content-Length. On 2 cores a benchmark's own client shares the CPU with
 * what it measures; a general client (java.net.http's selector thread and handoffs) would take a
 * good part of it, and dilute the difference between the two servers compared.
 */
final class KeepAliveClient implements AutoCloseable {

    private final InetSocketAddress address;
    private final byte[] request;
    /** The request line and headers, without Content-Length and the blank line: for requests with a body. */
    private final byte[] head;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    KeepAliveClient(URI uri) {
        this("GET", uri, Map.of());
    }

    /** {@code method} GET, or POST with an empty body; {@code headers} sent with every request. */
    KeepAliveClient(String method, URI uri, Map<String, String> headers) {
        this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        var lines = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                .append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        headers.forEach((name, value) -> lines.append(name).append(": ").append(value).append("\r\n"));
        this.head = lines.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (!method.equals("GET")) {
            lines.append("Content-Length: 0\r\n");
        }
        this.request = lines.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * One request; its status (the body is read and dropped). A kept-alive connection the server
     * closed while it was idle (node's http server does after 5 s) is replaced once: no byte of an
     * answer came, and a server does not run a request on a connection it has closed.
     */
    int send() throws IOException {
        return send(request, false).status();
    }

    /** An answer's status, and its body when it was asked for. */
    record Answer(int status, byte[] body) {
    }

    /**
     * One request of this client's method, path and headers with {@code body}; its status and body.
     * A stale connection is replaced as by {@link #send()}.
     */
    Answer send(byte[] body) throws IOException {
        byte[] length = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] whole = new byte[head.length + length.length + body.length];
        System.arraycopy(head, 0, whole, 0, head.length);
        System.arraycopy(length, 0, whole, head.length, length.length);
        System.arraycopy(body, 0, whole, head.length + length.length, body.length);
        return send(whole, true);
    }

    private Answer send(byte[] bytes, boolean keepBody) throws IOException {
        boolean reused = socket != null;
        try {
            return exchange(bytes, keepBody);
        } catch (StaleConnectionException e) {
            if (!reused) {
                throw e;
            }
            return exchange(bytes, keepBody);
        }
    }

    private Answer exchange(byte[] bytes, boolean keepBody) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            socket.connect(address, 5_000);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }
        try {
            out.write(bytes);
            out.flush();
            int first = in.read();
            if (first < 0) {
                throw new StaleConnectionException();
            }
            return readAnswer(first, keepBody);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** The connection ended before any byte of the answer. */
    private static final class StaleConnectionException extends IOException {
        StaleConnectionException() {
            super("the connection closed before the answer");
        }
    }

    private Answer readAnswer(int first, boolean keepBody) throws IOException {
        String status = (char) first + line();
        if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
            throw new IOException("not an HTTP/1.1 answer: " + status);
        }
        long length = -1;
        boolean closes = false;
        for (String header = line(); !header.isEmpty(); header = line()) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring("content-length:".length()).strip());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                closes = true;
            }
        }
        if (length < 0) {
            throw new IOException("an answer without Content-Length: " + status);
        }
        byte[] body = null;
        if (keepBody) {
            body = in.readNBytes(Math.toIntExact(length));
            if (body.length < length) {
                throw new IOException("the connection closed mid-answer");
            }
        } else {
            in.skipNBytes(length);
        }
        if (closes) {
            close();
        }
        return new Answer(Integer.parseInt(status.substring(9, 12)), body);
    }

    private String line() throws IOException {
        var line = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("the connection closed mid-answer");
            }
            if (c != '\r') {
                line.write(c);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a benchmark connection
            }
            socket = null;
        }
    }
}
