package dev.arrow.cli.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLSocketFactory;

/**
 * HTTP/1.1 to the node over one plain socket per call ({@code Connection: close}). A CLI command
 * makes one or two calls and exits: {@code java.net.http.HttpClient} costs a command several times
 * what the call itself does (its selector thread, executor and TLS set-up at start, hundreds of
 * classes), and its start dominated every node command's wall time ({@code arrow bench cli} shows
 * the whole command next to curl).
 */
final class HttpTransport {

    /** An answer: its status, headers and whole body. */
    record Response(int status, HttpHeaders headers, byte[] body) {
    }

    /** The call could not be made or was cut; {@code connecting} when no connection was ever made. */
    static final class TransportException extends IOException {
        private static final long serialVersionUID = 1L;
        final boolean connecting;
        final boolean timedOut;

        TransportException(String message, IOException cause, boolean connecting, boolean timedOut) {
            super(message, cause);
            this.connecting = connecting;
            this.timedOut = timedOut;
        }
    }

    private static final int MAX_HEAD_BYTES = 64 * 1024;

    private final String host;
    private final int port;
    private final boolean tls;
    private final String hostHeader;
    private final Duration connectTimeout;

    HttpTransport(URI base, Duration connectTimeout) {
        this.host = base.getHost();
        this.tls = "https".equals(base.getScheme());
        this.port = base.getPort() >= 0 ? base.getPort() : tls ? 443 : 80;
        this.hostHeader = base.getPort() >= 0 ? host + ":" + port : host;
        this.connectTimeout = connectTimeout;
    }

    /**
     * Sends one request and reads its whole answer.
     *
     * @param readTimeout the longest wait for the node between two reads; zero waits as long as it takes
     * @param sent        told the running total of body bytes written, or null
     */
    Response send(String method, String rawPathAndQuery, Map<String, String> headers, RequestBody body,
            Duration readTimeout, LongConsumer sent) throws IOException {
        return send(method, rawPathAndQuery, headers, body, readTimeout, sent, null);
    }

    /**
     * As {@link #send(String, String, Map, RequestBody, Duration, LongConsumer)}, but a 2xx answer's
     * body is copied to {@code sink} as it arrives (when not null) rather than held: an object of
     * any size passes through a small buffer. The {@link Response} then has an empty body.
     */
    Response send(String method, String rawPathAndQuery, Map<String, String> headers, RequestBody body,
            Duration readTimeout, LongConsumer sent, OutputStream sink) throws IOException {
        Socket socket = connect();
        try (socket) {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            long length = body.length();
            var head = new StringBuilder(256)
                    .append(method).append(' ').append(rawPathAndQuery).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(hostHeader).append("\r\n")
                    .append("Connection: close\r\n")
                    .append("Content-Length: ").append(length).append("\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            try {
                out.write(head.toString().getBytes(StandardCharsets.UTF_8));
                writeBody(body, out, sent);
                out.flush();
            } catch (IOException e) {
                // A node may answer (413, 401) and close before the whole body is in: read what it said.
                if (socket.isClosed()) {
                    throw e;
                }
            }
            return read(new BufferedInputStream(socket.getInputStream(), 64 * 1024), method, sink);
        } catch (SocketTimeoutException e) {
            throw new TransportException("no answer within " + readTimeout.toSeconds() + "s", e, false, true);
        } catch (TransportException e) {
            throw e;
        } catch (IOException e) {
            throw new TransportException(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e,
                    false, false);
        }
    }

    private Socket connect() throws TransportException {
        Socket socket = null;
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
            if (tls) {
                socket = ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(socket, host, port, true);
            }
            return socket;
        } catch (ConnectException | UnknownHostException | NoRouteToHostException | SocketTimeoutException e) {
            closeQuietly(socket);
            throw new TransportException(e.getMessage(), e, true, e instanceof SocketTimeoutException);
        } catch (IOException e) {
            closeQuietly(socket);
            throw new TransportException(e.getMessage(), e, true, false);
        }
    }

    private static void writeBody(RequestBody body, OutputStream out, LongConsumer sent) throws IOException {
        switch (body) {
            case RequestBody.Bytes(byte[] bytes) -> {
                out.write(bytes);
                if (sent != null) {
                    sent.accept(bytes.length);
                }
            }
            case RequestBody.FileBody(var file) -> {
                try (InputStream in = Files.newInputStream(file)) {
                    byte[] buffer = new byte[64 * 1024];
                    long total = 0;
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        out.write(buffer, 0, n);
                        total += n;
                        if (sent != null) {
                            sent.accept(total);
                        }
                    }
                }
            }
        }
    }

    static Response read(InputStream in, String method) throws IOException {
        return read(in, method, null);
    }

    static Response read(InputStream in, String method, OutputStream sink) throws IOException {
        int status;
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        int[] budget = {MAX_HEAD_BYTES};
        while (true) { // 1xx answers (100 Continue) come before the real one
            String statusLine = line(in, budget);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
                throw new IOException("the node sent a malformed answer: '" + abbreviate(statusLine) + "'");
            }
            status = Integer.parseInt(parts[1]);
            headers.clear();
            for (String header; !(header = line(in, budget)).isEmpty(); ) {
                int colon = header.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("the node sent a malformed header: '" + abbreviate(header) + "'");
                }
                headers.computeIfAbsent(header.substring(0, colon).strip(), name -> new ArrayList<>())
                        .add(header.substring(colon + 1).strip());
            }
            if (status >= 200 || status == 101) {
                break;
            }
        }
        byte[] body;
        String encoding = first(headers, "Transfer-Encoding");
        String length = first(headers, "Content-Length");
        if (method.equals("HEAD") || status == 204 || status == 304) {
            body = new byte[0];
        } else if (sink != null && status / 100 == 2 && length != null
                && (encoding == null || !encoding.toLowerCase(Locale.ROOT).contains("chunked"))) {
            long n;
            try {
                n = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw new IOException("the node sent a malformed Content-Length: '" + abbreviate(length) + "'");
            }
            long copied = in.transferTo(sink); // Connection: close ends it
            if (copied != n) {
                throw new EOFException("the answer ended after " + copied + " of its " + n + " bytes");
            }
            body = new byte[0];
        } else if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = chunked(in, budget);
        } else if (length != null) {
            long n;
            try {
                n = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw new IOException("the node sent a malformed Content-Length: '" + abbreviate(length) + "'");
            }
            if (n < 0 || n > Integer.MAX_VALUE - 16) {
                throw new IOException("the node sent a Content-Length of " + n);
            }
            body = in.readNBytes((int) n);
            if (body.length < n) {
                throw new EOFException("the answer ended after " + body.length + " of its " + n + " bytes");
            }
        } else {
            body = in.readAllBytes(); // Connection: close frames it
        }
        return new Response(status, HttpHeaders.of(headers, (name, value) -> true), body);
    }

    private static byte[] chunked(InputStream in, int[] budget) throws IOException {
        var body = new ByteArrayOutputStream();
        while (true) {
            budget[0] = MAX_HEAD_BYTES;
            String sizeLine = line(in, budget);
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).strip();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("the node sent a malformed chunk size: '" + abbreviate(sizeLine) + "'");
            }
            if (size < 0 || size > Integer.MAX_VALUE - 16 - body.size()) {
                throw new IOException("the node sent a chunk of " + hex + " bytes");
            }
            if (size == 0) {
                while (!line(in, budget).isEmpty()) {
                    // trailers: none of them matter to the CLI
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes((int) size);
            if (chunk.length < size) {
                throw new EOFException("the answer ended inside a chunk");
            }
            body.write(chunk);
            if (!line(in, budget).isEmpty()) {
                throw new IOException("the node sent a chunk longer than its size");
            }
        }
    }

    /** One line without its CRLF (or bare LF), as ISO-8859-1, within what is left of the head's budget. */
    private static String line(InputStream in, int[] budget) throws IOException {
        var line = new StringBuilder(64);
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new EOFException("the node closed the connection before its answer was complete");
            }
            if (--budget[0] < 0) {
                throw new IOException("the node sent an answer head over " + MAX_HEAD_BYTES + " bytes");
            }
            line.append((char) c);
        }
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing was sent on it
            }
        }
    }
}
