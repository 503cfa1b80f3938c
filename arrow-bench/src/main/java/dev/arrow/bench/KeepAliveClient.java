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
 * (a GET, or a POST without a body), answers read by their Content-Length. On 2 cores a benchmark's own client shares the CPU with
 * what it measures; a general client (java.net.http's selector thread and handoffs) would take a
 * good part of it, and dilute the difference between the two servers compared.
 */
final class KeepAliveClient implements AutoCloseable {

    private final InetSocketAddress address;
    private final byte[] request;
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
        var head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                .append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (!method.equals("GET")) {
            head.append("Content-Length: 0\r\n");
        }
        this.request = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * One request; its status (the body is read and dropped). A kept-alive connection the server
     * closed while it was idle (node's http server does after 5 s) is replaced once: no byte of an
     * answer came, and a server does not run a request on a connection it has closed.
     */
    int send() throws IOException {
        boolean reused = socket != null;
        try {
            return exchange();
        } catch (StaleConnectionException e) {
            if (!reused) {
                throw e;
            }
            return exchange();
        }
    }

    private int exchange() throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            socket.connect(address, 5_000);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }
        try {
            out.write(request);
            out.flush();
            int first = in.read();
            if (first < 0) {
                throw new StaleConnectionException();
            }
            return readAnswer(first);
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

    private int readAnswer(int first) throws IOException {
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
        in.skipNBytes(length);
        if (closes) {
            close();
        }
        return Integer.parseInt(status.substring(9, 12));
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
