package dev.arrow.server;

import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.WarmCall;
import dev.arrow.runtime.instances.InstanceClient;
import dev.arrow.runtime.instances.InstanceLink;
import dev.arrow.runtime.instances.MessageEvents;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The gateway's lean path: a connection that reads HTTP/1.1 requests itself and forwards each
 * gateway request to an instance as bytes over an {@link InstanceLink}, with no Jetty request,
 * response or client exchange between. On 2 cores, Jetty's objects and hand-offs cost about half
 * of the node's CPU per proxied request.
 *
 * <p>Anything else (the API, an exec-mode arrow, HTTP/1.0, {@code Expect}, {@code Upgrade}, an
 * absolute URI, a malformed request) is handed, with the bytes read so far, to Jetty's
 * {@code HttpConnection}, which serves the rest of the connection. A request that must wait (a
 * cold start, a full instance) waits on a virtual thread and is then forwarded the same way.
 *
 * <p>One request at a time: the next is read once the answer is out (pipelined requests wait in
 * the buffer). Each side's events run on the thread that read them; nothing here blocks.
 */
final class GatewayConnection extends AbstractConnection.NonBlocking implements Connection.UpgradeFrom {

    private static final Logger LOG = Logger.getLogger(GatewayConnection.class.getName());
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * What every connection of a node shares. {@code blocking} runs what waits (virtual threads),
     * {@code selector} what follows: the selector thread serves every connection of the node, so a
     * connection's state is only touched there.
     */
    record Lane(InvocationService invocations, Supplier<InstanceClient> client, HttpConnectionFactory fallback,
            Executor blocking, Executor selector, Scheduler scheduler) {
    }

    private enum State {
        /** Between requests. */
        IDLE,
        /** Reading a request's head. */
        HEAD,
        /** The request waits: for a slot, an instance, its link, or for its head to be written. */
        WAITING,
        /** Forwarding the request's body. */
        BODY,
        /** The request is out; its answer is on its way back. */
        SENT,
        /** Handed to Jetty, or closed. */
        GONE
    }

    private final Lane lane;
    private final Connector connector;
    private final HttpParser parser;
    private final RetainableByteBuffer retained;
    private final ByteBuffer input;
    private State state = State.IDLE;
    private Forward forward;
    // The parser's events, handled after parseNext returns: handling them may call back into this connection.
    private final Events events = new Events();
    private String method;
    private String uri;
    private HttpVersion version;
    private boolean handing;
    private boolean pieceUsed;
    private boolean holding; // a piece of the body is being written to the instance
    private boolean clientEof;

    GatewayConnection(Lane lane, Connector connector, EndPoint endPoint) {
        super(endPoint, connector.getExecutor());
        this.lane = lane;
        this.connector = connector;
        this.parser = new HttpParser(events, lane.fallback().getHttpConfiguration().getRequestHeaderSize());
        // No larger than Jetty's own: on an upgrade, what was read must fit in its empty buffer whole.
        int bytes = lane.fallback().getInputBufferSize();
        this.retained = connector.getByteBufferPool().acquire(bytes, true);
        ByteBuffer whole = retained.getByteBuffer();
        this.input = whole.limit(whole.capacity()).slice(0, bytes);
        BufferUtil.clear(input);
    }

    @Override
    public void onOpen() {
        super.onOpen();
        fillInterested();
    }

    @Override
    public void onFillable() {
        read();
    }

    /**
     * Parses what is read and handles its events until the input runs dry or the request waits.
     * The parser is called again after every event before more is read: it reports some (the end
     * of a request with no body) only when called with nothing new.
     *
     * <p>The connection stays interested in reading while a request waits or is answered, so that
     * its selector key keeps its interest across requests (no {@code epoll_ctl} each time) and no
     * read is tried in vain when the answer is out. What arrives meanwhile is appended, unparsed.
     */
    private void read() {
        try {
            boolean parse = true;
            while (true) {
                if (state == State.GONE) {
                    return;
                }
                if (state == State.IDLE) {
                    BufferUtil.compact(input); // a request starts at 0, so its head can be handed on whole
                    state = State.HEAD;
                    parser.reset();
                    parse = input.hasRemaining();
                }
                boolean parsing = state == State.HEAD || (state == State.BODY && !holding);
                if (!parsing || (!parse && !input.hasRemaining())) {
                    if (parsing && state == State.BODY) {
                        BufferUtil.clear(input);
                    }
                    if (input.limit() == input.capacity()) {
                        if (state == State.HEAD) {
                            upgrade(); // a head larger than the buffer: Jetty answers it
                        }
                        return; // full: read on once the request has used what is in
                    }
                    int filled = append();
                    if (filled == 0) {
                        watch();
                        return;
                    }
                    if (filled < 0) {
                        if (parsing) {
                            clientGone(new EOFException("the client closed the connection"));
                        } else {
                            clientEof = true; // a half-close after the request: its answer still goes out
                        }
                        return;
                    }
                    if (!parsing) {
                        continue;
                    }
                }
                int filledTo = input.limit();
                parse = parser.parseNext(input);
                if (events.takeMalformed() != null) {
                    input.limit(filledTo); // the parser drops what it read of a bad message: Jetty must see it
                    upgrade(); // Jetty parses it again and answers 400
                    return;
                }
                if (!dispatch()) {
                    return;
                }
            }
        } catch (IOException e) {
            clientGone(e);
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "the gateway connection to " + getEndPoint().getRemoteSocketAddress() + " failed", e);
            clientGone(e);
        }
    }

    /** Reads into the buffer after what it holds, which stays where it is (a head, a piece being written). */
    private int append() throws IOException {
        int position = input.position();
        input.position(0); // else an emptied buffer would be filled from its start
        try {
            return getEndPoint().fill(input);
        } finally {
            input.position(position);
        }
    }

    private void watch() {
        if (!clientEof && !getEndPoint().isFillInterested()) {
            fillInterested();
        }
    }

    /** Handles the parser's events; false: reading must not go on now. */
    private boolean dispatch() {
        if (events.takeHead()) {
            return route();
        }
        ByteBuffer held = events.takePiece();
        if (held != null) {
            boolean last = !parser.isChunking() && parser.getContentRead() >= parser.getContentLength();
            handing = true;
            pieceUsed = false;
            holding = true;
            forward.sendBody(held, last, Callback.from(this::pieceUsed, forward::requestFailed));
            handing = false;
            if (!pieceUsed) {
                watch(); // more of the body may come meanwhile
                return false;
            }
        }
        if (events.takeEnd()) {
            state = State.SENT;
            forward.requestRead();
            watch();
            return false;
        }
        return true;
    }

    private void pieceUsed() {
        holding = false;
        if (handing) {
            pieceUsed = true;
            return;
        }
        if (dispatch()) {
            read();
        }
    }

    /** The request's head is out: its body (or its end) follows. */
    private void resumeRequest() {
        state = State.BODY;
        read();
    }

    /** A request's head is in: forward it, wait for it, or hand it to Jetty. */
    private boolean route() {
        Gateway.Target target = leanTarget();
        if (target == null) {
            upgrade();
            return false;
        }
        state = State.WAITING;
        Optional<WarmCall> call = lane.invocations().tryOpenHttp(target.arrow());
        if (call.isPresent()) {
            start(target, call.get());
        } else {
            lane.blocking().execute(() -> waitForInstance(target));
        }
        return false;
    }

    /** The gateway request this connection forwards itself, or null: Jetty's. */
    private Gateway.Target leanTarget() {
        if (version != HttpVersion.HTTP_1_1 || !uri.startsWith(Gateway.PREFIX) || events.fields().contains(HttpHeader.EXPECT)) {
            return null;
        }
        String upgrade = events.fields().get(HttpHeader.UPGRADE);
        if (upgrade != null && !upgrade.equalsIgnoreCase("h2c")) {
            return null; // h2c is declined by both paths (Java's HttpClient asks for it); any other upgrade is Jetty's to decline
        }
        int question = uri.indexOf('?');
        String path = question < 0 ? uri : uri.substring(0, question);
        if (path.contains("/.") || path.contains("%") || path.contains("//") || path.contains(";")) {
            return null; // dot segments, escapes, parameters: Jetty's URI checks decide
        }
        Gateway.Target target = Gateway.Target.of(path, question < 0 ? null : uri.substring(question + 1));
        return ArrowName.isValid(target.arrow()) ? target : null;
    }

    /** On a virtual thread; what follows runs on the selector thread. */
    private void waitForInstance(Gateway.Target target) {
        try {
            if (lane.invocations().mode(target.arrow()) == Mode.EXEC) {
                lane.selector().execute(this::upgrade);
                return;
            }
            WarmCall call = lane.invocations().openHttp(target.arrow());
            lane.selector().execute(() -> start(target, call));
        } catch (Exception e) {
            ErrorAnswer error = ErrorAnswer.of(e, method + " " + uri);
            lane.selector().execute(() -> respond(error, hasBody()));
        }
    }

    private void start(Gateway.Target target, WarmCall call) {
        if (!getEndPoint().isOpen()) { // the client left while it waited
            call.abandonWithoutBlocking(0, 0);
            return;
        }
        // A stopping node answers what it has, and closes: its graceful stop waits for its connections.
        forward = new Forward(call, target, method.equals("HEAD"), hasBody(), closeRequested() || connector.isShutdown());
        watch();
        forward.begin();
    }

    private boolean hasBody() {
        return parser.isChunking() || parser.getContentLength() > 0;
    }

    private boolean closeRequested() {
        return events.fields().contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }

    /** Answers a request that was not forwarded; a body left unread ends the connection after it. */
    private void respond(ErrorAnswer error, boolean bodyUnread) {
        boolean close = closeRequested() || bodyUnread || connector.isShutdown();
        byte[] body = error.bodyBytes();
        var head = new StringBuilder(160).append("HTTP/1.1 ").append(error.status()).append(' ')
                .append(HttpStatus.getMessage(error.status())).append("\r\nContent-Type: application/json\r\nContent-Length: ")
                .append(body.length).append("\r\n");
        error.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (close) {
            head.append("Connection: close\r\n");
        }
        head.append("\r\n");
        state = State.WAITING;
        getEndPoint().write(Callback.from(() -> nextRequest(close), this::clientGone),
                ByteBuffer.wrap(head.toString().getBytes(StandardCharsets.ISO_8859_1)), ByteBuffer.wrap(body));
    }

    /** The answer is out: read the next request, which may be in the buffer already. */
    private void nextRequest(boolean close) {
        forward = null;
        if (close || clientEof) {
            state = State.GONE;
            getEndPoint().close();
            return;
        }
        state = State.IDLE;
        if (input.hasRemaining() || !getEndPoint().isFillInterested()) {
            read(); // a pipelined request is in, or nobody watches: else the selector wakes this for the next one
        }
    }

    /** Hands the connection, with the current request's bytes, to Jetty's HTTP/1.1 connection. */
    private void upgrade() {
        state = State.GONE;
        input.position(0); // the request starts there
        getEndPoint().upgrade(lane.fallback().newConnection(connector, getEndPoint()));
    }

    @Override
    public ByteBuffer onUpgradeFrom() {
        if (!input.hasRemaining()) {
            return null;
        }
        ByteBuffer unread = BufferUtil.allocateDirect(input.remaining());
        BufferUtil.append(unread, input);
        return unread;
    }

    private void clientGone(Throwable cause) {
        state = State.GONE;
        getEndPoint().close(cause);
    }

    @Override
    public void onClose(Throwable cause) {
        Forward current = forward;
        if (state != State.GONE || current != null) {
            state = State.GONE;
            if (current != null) {
                current.clientGone(cause != null ? cause : new EOFException("the client closed the connection"));
            }
        }
        retained.release();
        super.onClose(cause);
    }

    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        return state == State.IDLE || state == State.HEAD; // a forwarded request's own timeout governs
    }

    /**
     * One request on its way to an instance and its answer on the way back. Exactly one of
     * the answer's end, its failure, the timeout or the client's going away ends it ({@link #end}).
     */
    private final class Forward implements InstanceLink.Answer {
        private final WarmCall call;
        private final Gateway.Target target;
        private final boolean head;
        private final boolean hasBody;
        private final boolean close;
        private final Scheduler.Task timeout;
        private InstanceLink link;
        private boolean chunked; // the request's body, re-framed
        private int status;
        private ByteBuffer responseHead; // written with the first piece of the body
        private boolean chunkedAnswer;
        private long copied;
        private boolean requestRead;
        private boolean ended;
        private boolean responding;
        private boolean recorded;

        Forward(WarmCall call, Gateway.Target target, boolean head, boolean hasBody, boolean close) {
            this.call = call;
            this.target = target;
            this.head = head;
            this.hasBody = hasBody;
            this.close = close;
            this.timeout = lane.scheduler().schedule(() -> lane.selector().execute(this::timedOut),
                    call.timeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        void begin() {
            lane.client().get().link(call.instance(), Promise.from(this::linked, this::linkFailed));
        }

        private void linked(InstanceLink made) {
            synchronized (this) {
                if (ended) {
                    made.abort(); // timed out, or the client went away, while it connected
                    return;
                }
                link = made;
            }
            made.begin(this, head);
            chunked = hasBody && parser.isChunking();
            ByteBuffer requestHead = ByteBuffer.wrap(requestHead(made).getBytes(StandardCharsets.ISO_8859_1));
            made.write(!hasBody, Callback.from(GatewayConnection.this::resumeRequest, this::requestFailed), requestHead);
        }

        private String requestHead(InstanceLink made) {
            var text = new StringBuilder(512).append(method).append(' ').append(target.pathAndQuery())
                    .append(" HTTP/1.1\r\nHost: ").append(made.authority()).append("\r\n");
            String host = null;
            Set<String> listed = Gateway.connectionListed(events.fields());
            for (HttpField field : events.fields()) {
                String name = field.getLowerCaseName();
                if (name.equals("host")) {
                    host = field.getValue();
                } else if (!Gateway.NOT_FORWARDED.contains(name) && !listed.contains(name) && !name.startsWith("x-forwarded-")
                        && !name.equals("arrow-invocation-id")) {
                    text.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
                }
            }
            text.append("X-Forwarded-For: ").append(remoteAddress()).append("\r\nX-Forwarded-Proto: http\r\n");
            if (host != null) {
                text.append("X-Forwarded-Host: ").append(host).append("\r\n");
            }
            text.append("X-Forwarded-Prefix: ").append(Gateway.PREFIX).append(target.arrow())
                    .append("\r\nArrow-Invocation-Id: ").append(call.invocationId()).append("\r\n");
            if (hasBody) {
                text.append(chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + parser.getContentLength() + "\r\n");
            }
            return text.append("\r\n").toString();
        }

        void sendBody(ByteBuffer bytes, boolean last, Callback callback) {
            if (ended) {
                callback.succeeded(); // read and dropped: the exchange is over
                return;
            }
            if (chunked) {
                link.write(false, callback, chunkSize(bytes.remaining()), bytes, ByteBuffer.wrap(CRLF));
            } else {
                link.write(last, callback, bytes);
            }
        }

        /** The whole request has been read from the client. */
        void requestRead() {
            requestRead = true;
            if (chunked && !ended) {
                link.write(true, Callback.from(() -> { }, this::requestFailed), ByteBuffer.wrap(LAST_CHUNK));
            }
        }

        void requestFailed(Throwable cause) {
            if (end()) {
                abortLink();
                answerFailed(cause);
            }
        }

        private void linkFailed(Throwable cause) {
            if (end()) {
                answerFailed(cause);
            }
        }

        @Override
        public void head(int code, String reason, HttpFields answer) {
            status = code;
            var text = new StringBuilder(256).append("HTTP/1.1 ").append(code).append(' ')
                    .append(reason == null || reason.isEmpty() ? HttpStatus.getMessage(code) : reason).append("\r\n");
            boolean lengthKnown = false;
            Set<String> listed = Gateway.connectionListed(answer);
            for (HttpField field : answer) {
                String name = field.getLowerCaseName();
                if (name.equals("content-length")) {
                    lengthKnown = true;
                    text.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
                } else if (!Gateway.NOT_FORWARDED.contains(name) && !listed.contains(name)) {
                    text.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
                }
            }
            text.append("X-Arrow-Invocation-Id: ").append(call.invocationId())
                    .append("\r\nX-Arrow-Cold: ").append(call.cold()).append("\r\n");
            boolean bodyless = head || code == 204 || code == 304 || code < 200;
            chunkedAnswer = !bodyless && !lengthKnown;
            if (chunkedAnswer) {
                text.append("Transfer-Encoding: chunked\r\n");
            }
            if (close) {
                text.append("Connection: close\r\n");
            }
            responseHead = ByteBuffer.wrap(text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        }

        @Override
        public void content(ByteBuffer bytes, Runnable more) {
            if (!claimResponse()) {
                return;
            }
            copied += bytes.remaining();
            Callback written = Callback.from(more, this::responseFailed);
            ByteBuffer first = responseHead;
            responseHead = null;
            if (chunkedAnswer) {
                ByteBuffer size = chunkSize(bytes.remaining());
                if (first != null) {
                    getEndPoint().write(written, first, size, bytes, ByteBuffer.wrap(CRLF));
                } else {
                    getEndPoint().write(written, size, bytes, ByteBuffer.wrap(CRLF));
                }
            } else if (first != null) {
                getEndPoint().write(written, first, bytes);
            } else {
                getEndPoint().write(written, bytes);
            }
        }

        @Override
        public void complete() {
            if (!claimResponse() || !end()) {
                return;
            }
            ByteBuffer first = responseHead;
            responseHead = null;
            Callback written = Callback.from(this::answerWritten, this::responseFailed);
            if (first != null && chunkedAnswer) {
                getEndPoint().write(written, first, ByteBuffer.wrap(LAST_CHUNK));
            } else if (first != null) {
                getEndPoint().write(written, first);
            } else if (chunkedAnswer) {
                getEndPoint().write(written, ByteBuffer.wrap(LAST_CHUNK));
            } else {
                answerWritten();
            }
        }

        private void answerWritten() {
            timeout.cancel();
            if (requestRead) {
                afterAnswer();
            } else {
                // The instance answered before reading the whole request: the rest of it cannot be
                // told from a next request without reading it, so the connection ends here.
                finishQuietly(Optional.empty());
                state = State.GONE;
                getEndPoint().close();
            }
        }

        private void afterAnswer() {
            if (!claimRecord()) {
                return;
            }
            // The slot is free before the next request is read.
            call.finishWithoutBlocking(status, copied, Optional.empty());
            nextRequest(close);
        }

        @Override
        public void failed(Throwable cause) {
            if (end()) {
                answerFailed(cause);
            }
        }

        /** Writing the answer to the client failed: the client is gone. */
        private void responseFailed(Throwable cause) {
            abortLink();
            end();
            abandon();
            GatewayConnection.this.clientGone(cause);
        }

        private void timedOut() {
            if (!end()) {
                return;
            }
            abortLink();
            answerFailed(new TimeoutException("no answer within " + call.timeout().toMillis() + " ms"));
        }

        void clientGone(Throwable cause) {
            if (!end()) {
                return;
            }
            abortLink();
            abandon();
        }

        /** The client left: its slot is free at once, since the instance is not at fault. */
        private void abandon() {
            timeout.cancel();
            if (!claimRecord()) {
                return;
            }
            call.abandonWithoutBlocking(status, copied);
        }

        private void abortLink() {
            InstanceLink current = link;
            if (current != null) {
                current.abort();
            }
        }

        /** No (whole) answer: a JSON error if none of it went out yet, else the connection ends. */
        private void answerFailed(Throwable cause) {
            timeout.cancel();
            boolean started;
            synchronized (this) {
                started = responding;
            }
            if (started) {
                finishQuietly(Optional.of(cause));
                GatewayConnection.this.clientGone(cause);
                return;
            }
            boolean bodyUnread = !requestRead;
            if (!claimRecord()) {
                return;
            }
            call.finishWithoutBlocking(0, 0, Optional.of(cause)).thenAccept(record ->
                    lane.selector().execute(() -> respond(Gateway.failureAnswer(call, cause, record), bodyUnread)));
        }

        private void finishQuietly(Optional<Throwable> failure) {
            timeout.cancel();
            if (!claimRecord()) {
                return;
            }
            call.finishWithoutBlocking(status, copied, failure);
        }

        private synchronized boolean claimResponse() {
            if (ended) {
                return false;
            }
            responding = true;
            return true;
        }

        private synchronized boolean claimRecord() {
            if (recorded) {
                return false;
            }
            recorded = true;
            return true;
        }

        private synchronized boolean end() {
            if (ended) {
                return false;
            }
            ended = true;
            return true;
        }
    }

    private String remoteAddress() {
        return getEndPoint().getRemoteSocketAddress() instanceof InetSocketAddress inet
                ? inet.getAddress().getHostAddress() : String.valueOf(getEndPoint().getRemoteSocketAddress());
    }

    private static ByteBuffer chunkSize(int bytes) {
        return ByteBuffer.wrap((Integer.toHexString(bytes) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** The parser's events, with the request line's parts. */
    private final class Events extends MessageEvents implements HttpParser.RequestHandler {
        @Override
        public void startRequest(String requestMethod, String requestUri, HttpVersion requestVersion) {
            started();
            method = requestMethod;
            uri = requestUri;
            version = requestVersion;
        }
    }
}
