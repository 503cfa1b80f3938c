package dev.arrow.server;

import dev.arrow.platform.invocations.WarmCall;
import dev.arrow.runtime.instances.InstanceLink;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.util.Callback;

/**
 * The gateway's lean path: a connection that reads HTTP/1.1 requests itself ({@link RequestReader})
 * and forwards each gateway request to an instance as bytes over an {@link InstanceLink}
 * ({@link Forward}), writing the answer back as bytes ({@link LeanSide}), with no Jetty request,
 * response or client exchange between. On 2 cores, Jetty's objects and hand-offs cost about half
 * of the node's CPU per proxied request.
 *
 * <p>Anything else (the API, an exec-mode arrow, what {@link RequestReader#target} declines, a
 * malformed request) is handed, with the bytes read so far, to Jetty's HTTP/1.1 connection, which
 * serves the rest of the connection. A request that must wait (a cold start, a full instance)
 * waits on a virtual thread and is then forwarded the same way.
 *
 * <p>One request at a time: the next is read once the answer is out (pipelined requests wait in
 * the buffer). Everything here runs on the selector thread; nothing blocks.
 */
final class GatewayConnection extends AbstractConnection.NonBlocking implements Connection.UpgradeFrom {

    private static final Logger LOG = Logger.getLogger(GatewayConnection.class.getName());

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

    private final Gateway gateway;
    private final HttpConnectionFactory fallback;
    private final Connector connector;
    private final RequestReader reader;
    private final LeanSide side;
    // Whether the client reached the node over TLS (an SslConnection below this one), not what its request line says.
    private final boolean secure;
    // Made once: the request's continuation after it opened, and its name in the log.
    private final Consumer<Gateway.Opened> opened = this::opened;
    private final Supplier<String> what;
    private State state = State.IDLE;
    private Gateway.Target target;
    private Forward forward;
    private boolean handing;
    private boolean pieceUsed;
    private boolean holding; // a piece of the body is being written to the instance
    private boolean clientEof;
    /**
     * When the current request's head began to arrive (-1: not yet). The idle timeout restarts
     * with every byte, so it alone would let a head trickle in for ever (slow-loris); the check on
     * each arrival, plus that timeout between arrivals, bounds the whole head.
     */
    private final long headDeadlineNanos;
    private long headBeganNanos = -1;

    GatewayConnection(Gateway gateway, HttpConnectionFactory fallback, Connector connector, EndPoint endPoint,
            long headDeadlineNanos) {
        super(endPoint, connector.getExecutor());
        this.headDeadlineNanos = headDeadlineNanos;
        this.gateway = gateway;
        this.fallback = fallback;
        this.connector = connector;
        this.reader = new RequestReader(fallback, connector.getByteBufferPool());
        this.what = reader::what;
        this.side = new LeanSide(this, endPoint);
        this.secure = endPoint.isSecure();
    }

    @Override
    public void onOpen() {
        super.onOpen();
        fillInterested();
    }

    private final java.util.concurrent.atomic.AtomicInteger readRequests = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void onFillable() {
        read();
    }

    private void read() {
        // Asked for by the selector (onFillable) and by an answer's or a body piece's completion, on
        // whatever thread that completes: two threads would share the reader's buffer. One reads;
        // a request meanwhile (or from within, as a synchronous completion) makes it read once more.
        if (readRequests.getAndIncrement() > 0) {
            return;
        }
        do {
            readRequests.set(1);
            try {
                readPass();
            } catch (RuntimeException | Error e) {
                readRequests.set(0);
                throw e;
            }
        } while (readRequests.decrementAndGet() > 0);
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
    private void readPass() {
        try {
            boolean parse = true;
            while (true) {
                if (state == State.GONE) {
                    return;
                }
                if (state == State.IDLE) {
                    state = State.HEAD;
                    parse = reader.next();
                }
                boolean parsing = state == State.HEAD || (state == State.BODY && !holding);
                if (!parsing || (!parse && !reader.hasInput())) {
                    if (parsing && state == State.BODY) {
                        reader.bodyUsed();
                    }
                    if (reader.full()) {
                        if (state == State.HEAD) {
                            handToJetty(); // a head larger than the buffer: Jetty answers it
                        }
                        return; // full: read on once the request has used what is in
                    }
                    int filled = reader.fill(getEndPoint());
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
                if (state == State.HEAD && headLate()) {
                    respond(ErrorAnswer.headTooSlow(headDeadlineNanos), true);
                    return;
                }
                parse = reader.parse();
                if (reader.malformed()) {
                    handToJetty(); // Jetty parses it again and answers 400
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

    private void watch() {
        if (!clientEof && !getEndPoint().isFillInterested()) {
            fillInterested();
        }
    }

    /** Handles the parser's events; false: reading must not go on now. */
    private boolean dispatch() {
        if (reader.takeHead()) {
            return route();
        }
        ByteBuffer held = reader.takePiece();
        if (held != null) {
            handing = true;
            pieceUsed = false;
            holding = true;
            forward.sendBody(held, reader.lastPiece(), Callback.from(this::pieceUsed, forward::requestFailed));
            handing = false;
            if (!pieceUsed) {
                watch(); // more of the body may come meanwhile
                return false;
            }
        }
        if (reader.takeEnd()) {
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

    private boolean headLate() {
        long now = System.nanoTime();
        if (headBeganNanos < 0) {
            headBeganNanos = now;
            return false;
        }
        return now - headBeganNanos > headDeadlineNanos;
    }

    /** A request's head is in: forward it, wait for it, or hand it to Jetty. */
    private boolean route() {
        headBeganNanos = -1;
        target = reader.target(gateway.routes());
        if (target == null) {
            handToJetty();
            return false;
        }
        state = State.WAITING;
        gateway.open(target, what, opened);
        return false;
    }

    private void opened(Gateway.Opened outcome) {
        switch (outcome) {
            case Gateway.Opened.Ready ready -> start(ready.call());
            case Gateway.Opened.Exec exec -> handToJetty();
            case Gateway.Opened.Failed failed -> respond(failed.answer(), reader.bodyLength() != 0);
        }
    }

    private void start(WarmCall call) {
        if (!getEndPoint().isOpen()) { // the client left while it waited
            call.abandonWithoutBlocking(0, 0);
            return;
        }
        // A stopping node answers what it has, and closes: its graceful stop waits for its connections.
        side.begin(reader.isHead(), reader.closeRequested() || connector.isShutdown());
        forward = new Forward(gateway, call, reader.facts(target, remoteAddress(), secure), side);
        watch();
        forward.begin();
    }

    /** The request's head is out: its body (or its end) follows. */
    void resumeRequest() {
        state = State.BODY;
        read();
    }

    /** Answers a request that was not forwarded; a body left unread ends the connection after it. */
    void respond(ErrorAnswer error, boolean bodyUnread) {
        boolean close = reader.closeRequested() || bodyUnread || connector.isShutdown();
        state = State.WAITING;
        side.error(error, close, Callback.from(() -> nextRequest(close), this::clientGone));
    }

    /** The answer is out: read the next request, which may be in the buffer already. */
    void nextRequest(boolean close) {
        forward = null;
        if (close || clientEof) {
            endAfterAnswer();
            return;
        }
        state = State.IDLE;
        if (reader.hasInput() || !getEndPoint().isFillInterested()) {
            read(); // a pipelined request is in, or nobody watches: else the selector wakes this for the next one
        }
    }

    void endAfterAnswer() {
        state = State.GONE;
        getEndPoint().close();
    }

    /**
     * Hands the connection, with the current request's bytes, to Jetty's HTTP/1.1 connection. This
     * connection may still be interested in reading (it stays so across a forwarded request, and
     * a request pipelined behind it is handed over from there); an upgrade keeps that interest,
     * and Jetty's connection, asking for the rest of its body, would then be refused
     * (ReadPendingException) and wait for its idle timeout with the body in the socket. So the
     * interest is fired first: with the state GONE, its wake-up does nothing.
     */
    private void handToJetty() {
        state = State.GONE;
        if (getEndPoint() instanceof AbstractEndPoint endPoint && endPoint.isFillInterested()) {
            endPoint.getFillInterest().fillable();
        }
        getEndPoint().upgrade(fallback.newConnection(connector, getEndPoint()));
    }

    @Override
    public ByteBuffer onUpgradeFrom() {
        return reader.handOver();
    }

    void clientGone(Throwable cause) {
        state = State.GONE;
        getEndPoint().close(cause);
    }

    @Override
    public void onClose(Throwable cause) {
        Forward current = forward;
        if (state != State.GONE || current != null) {
            state = State.GONE;
            if (current != null) {
                current.clientGone();
            }
        }
        reader.release();
        super.onClose(cause);
    }

    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        return state == State.IDLE || state == State.HEAD; // a forwarded request's own timeout governs
    }

    private String remoteAddress() {
        return getEndPoint().getRemoteSocketAddress() instanceof InetSocketAddress inet
                ? inet.getAddress().getHostAddress() : String.valueOf(getEndPoint().getRemoteSocketAddress());
    }
}
