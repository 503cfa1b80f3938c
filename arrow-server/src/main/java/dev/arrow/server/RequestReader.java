package dev.arrow.server;

import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.runtime.instances.MessageEvents;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.util.BufferUtil;

/**
 * What a {@link GatewayConnection} reads: the bytes in (one buffer, in which a request starts at
 * 0 so that its head can be handed to Jetty whole), the parser, its events (kept until the
 * connection handles them), the request line and headers, and what the lean path makes of them.
 * One request at a time; {@link #next} starts the next.
 */
final class RequestReader extends MessageEvents implements HttpParser.RequestHandler {

    private final HttpParser parser;
    private final RetainableByteBuffer retained;
    private final ByteBuffer input;
    private int filledTo;
    private String method;
    private String uri;
    private HttpVersion version;

    RequestReader(HttpConnectionFactory fallback, ByteBufferPool pool) {
        this.parser = new HttpParser(this, fallback.getHttpConfiguration().getRequestHeaderSize());
        // No larger than Jetty's own: on a hand-over, what was read must fit in its empty buffer whole.
        int bytes = fallback.getInputBufferSize();
        this.retained = pool.acquire(bytes, true);
        ByteBuffer whole = retained.getByteBuffer();
        this.input = whole.limit(whole.capacity()).slice(0, bytes);
        BufferUtil.clear(input);
    }

    @Override
    public void startRequest(String requestMethod, String requestUri, HttpVersion requestVersion) {
        started();
        method = requestMethod;
        uri = requestUri;
        version = requestVersion;
    }

    /** Starts reading the next request; true: some of it is in already (pipelined). */
    boolean next() {
        BufferUtil.compact(input);
        parser.reset();
        return input.hasRemaining();
    }

    boolean hasInput() {
        return input.hasRemaining();
    }

    /** No room to read into: what is in must be used first. */
    boolean full() {
        return input.limit() == input.capacity();
    }

    /** The body's pieces parsed so far are used: their room is free. */
    void bodyUsed() {
        BufferUtil.clear(input);
    }

    /** Reads into the buffer after what it holds, which stays where it is (a head, a piece being written). */
    int fill(EndPoint endPoint) throws IOException {
        int position = input.position();
        input.position(0); // else an emptied buffer would be filled from its start
        try {
            return endPoint.fill(input);
        } finally {
            input.position(position);
        }
    }

    /** Parses on; true: an event stopped the parse, so call again after handling it, even with nothing new. */
    boolean parse() {
        filledTo = input.limit();
        return parser.parseNext(input);
    }

    /** Whether the request is malformed; its bytes are then all there again, for Jetty to parse and answer. */
    boolean malformed() {
        if (takeMalformed() == null) {
            return false;
        }
        input.limit(filledTo); // the parser drops what it read of a bad message
        return true;
    }

    /** The bytes of the current request and what follows it, for Jetty's connection; null: none. */
    ByteBuffer handOver() {
        input.position(0);
        if (!input.hasRemaining()) {
            return null;
        }
        ByteBuffer unread = BufferUtil.allocateDirect(input.remaining());
        BufferUtil.append(unread, input);
        return unread;
    }

    void release() {
        retained.release();
    }

    /**
     * The gateway request the lean path forwards, once its head is in; null: Jetty's to serve.
     * HTTP/1.0, {@code Expect}, an upgrade, an absolute URI or an odd path each need what only
     * Jetty's connection does, and are rare.
     */
    Gateway.Target target(RouteTable routes) {
        boolean prefixed = uri.startsWith(Gateway.PREFIX);
        if (version != HttpVersion.HTTP_1_1 || (!prefixed && routes.isEmpty()) || fields().contains(HttpHeader.EXPECT)) {
            return null;
        }
        String upgrade = fields().get(HttpHeader.UPGRADE);
        if (upgrade != null && !upgrade.equalsIgnoreCase("h2c")) {
            return null; // h2c is declined by both paths (Java's HttpClient asks for it); any other upgrade is Jetty's to decline
        }
        int question = uri.indexOf('?');
        String path = question < 0 ? uri : uri.substring(0, question);
        if (path.contains("/.") || path.contains("%") || path.contains("//") || path.contains(";")) {
            return null; // dot segments, escapes, parameters: Jetty's URI checks decide
        }
        String query = question < 0 ? null : uri.substring(question + 1);
        if (!prefixed) {
            return routes.match(fields().get(HttpHeader.HOST), method, path)
                    .map(claim -> Gateway.Target.routed(claim.arrow(), path, query)).orElse(null);
        }
        Gateway.Target target = Gateway.Target.of(path, query);
        return ArrowName.isValid(target.arrow()) ? target : null;
    }

    /** The facts the forwarding rules need, once the head is in. */
    ForwardingRules.Request facts(Gateway.Target target, String client, boolean secure) {
        return new ForwardingRules.Request(method, target, fields(), client, secure, bodyLength());
    }

    /** 0: none, -1: in chunks. */
    long bodyLength() {
        return parser.isChunking() ? -1 : Math.max(0, parser.getContentLength());
    }

    /** Whether the body piece just parsed is its last. */
    boolean lastPiece() {
        return !parser.isChunking() && parser.getContentRead() >= parser.getContentLength();
    }

    boolean isHead() {
        return method.equals("HEAD");
    }

    boolean closeRequested() {
        return fields().contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }

    /** Names the request in the log. */
    String what() {
        return method + " " + uri;
    }
}
