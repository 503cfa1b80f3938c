package dev.arrow.runtime.instances;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * One kept-alive HTTP/1.1 connection to an instance, for a proxy that writes a request as bytes
 * and takes the answer as it is parsed, with no request or response objects between: the
 * gateway's lean path ({@link InstanceClient#link}). Its reads run on the selector thread that
 * serves it, and nothing here blocks.
 *
 * <p>One exchange at a time: {@link #begin}, {@link #write} the request, then the answer's
 * events. When the answer is whole and the connection can carry another, the link is back in
 * its instance's pool before {@link Answer#complete} runs.
 */
public final class InstanceLink extends AbstractConnection.NonBlocking {

    private static final int BUFFER_BYTES = 16 * 1024;

    /** What is done with an answer; called on the thread that read it, one event at a time. */
    public interface Answer {
        /** The status line and headers. */
        void head(int status, String reason, HttpFields fields);

        /** A piece of the body, valid until {@code more} runs: run it once the piece is used. */
        void content(ByteBuffer piece, Runnable more);

        /** The whole answer is in. */
        void complete();

        /** The connection broke, timed out or carried a malformed answer, before {@link #complete}. */
        void failed(Throwable cause);
    }

    /** An instance's idle links, the most recently used first. */
    static final class Pool {
        private final ConcurrentLinkedDeque<InstanceLink> idle = new ConcurrentLinkedDeque<>();
        private final Instance instance;
        private final Map<Instance, Pool> pools;

        Pool(Instance instance, Map<Instance, Pool> pools) {
            this.instance = instance;
            this.pools = pools;
        }

        InstanceLink take() {
            for (InstanceLink link = idle.pollFirst(); link != null; link = idle.pollFirst()) {
                if (link.getEndPoint().isOpen()) {
                    return link;
                }
            }
            return null;
        }

        private void release(InstanceLink link) {
            idle.addFirst(link);
        }

        private void remove(InstanceLink link) {
            idle.remove(link);
            if (idle.isEmpty() && !instance.alive()) {
                pools.remove(instance, this); // its links are closed as the instance ends
            }
        }
    }

    private final Pool pool;
    private final HttpParser parser;
    private final ByteBuffer input = BufferUtil.allocateDirect(BUFFER_BYTES);
    private Answer answer; // set while an exchange is under way
    private boolean requestSent;
    // The parser's events, handed on after parseNext returns: the answer may call back into this link.
    private final Events events = new Events();
    private boolean keepAlive;
    // A piece handed on: whether its use ended already (inline), or reading must wait for it.
    private boolean handing;
    private boolean pieceUsed;

    InstanceLink(EndPoint endPoint, Executor executor, Pool pool) {
        super(endPoint, executor);
        this.pool = pool;
        this.parser = new HttpParser(events);
    }

    /** Starts an exchange; {@code head}: the request is a HEAD, so its answer has no body. */
    public void begin(Answer answer, boolean head) {
        if (this.answer != null) {
            throw new IllegalStateException("an exchange is already under way on " + this);
        }
        this.answer = answer;
        requestSent = false;
        parser.reset();
        parser.setHeadResponse(head);
    }

    /** Writes request bytes; {@code last}: the request ends with these. */
    public void write(boolean last, Callback callback, ByteBuffer... buffers) {
        // A failed write breaks the link, which then is not reused: no need to wait for its outcome.
        requestSent |= last;
        getEndPoint().write(callback, buffers);
    }

    /** The instance's address, as a request's Host header names it. */
    public String authority() {
        return "127.0.0.1:" + pool.instance.address().getPort();
    }

    /** Ends the exchange and the connection, e.g. at the request's timeout: no more events. */
    public void abort() {
        answer = null;
        getEndPoint().close();
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
     * Parses what is read, hands on its events, and reads on until the input runs dry or a piece is
     * held. The parser is called again after every event before more is read: it reports some
     * (the end of an answer with no body left) only when called with nothing new.
     */
    private void read() {
        try {
            boolean parse = true;
            while (true) {
                if (!parse && !input.hasRemaining()) {
                    if (!getEndPoint().isOpen()) {
                        return;
                    }
                    int filled = getEndPoint().fill(input);
                    if (filled == 0) {
                        fillInterested();
                        return;
                    }
                    if (filled < 0) {
                        parser.atEOF();
                        parser.parseNext(input);
                        if (dispatch()) {
                            end(new EOFException("the instance closed the connection"));
                        }
                        return;
                    }
                }
                if (answer == null && input.hasRemaining()) {
                    end(new IOException("the instance sent bytes nobody asked for"));
                    return;
                }
                parse = answer != null && parser.parseNext(input);
                if (!dispatch()) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            end(e);
        }
    }

    /** Hands on the parser's events; false: reading must not go on now (a piece is held, or the link ended). */
    private boolean dispatch() {
        Answer current = answer;
        Throwable malformed = events.takeMalformed();
        if (malformed != null) {
            end(malformed instanceof EOFException ? new EOFException("the instance closed the connection mid-answer")
                    : new IOException("the instance's answer is not valid HTTP: " + malformed.getMessage(), malformed));
            return false;
        }
        if (current == null) {
            return getEndPoint().isOpen();
        }
        int status = events.status;
        if (events.takeHead()) {
            if (informational(status)) {
                return true;
            }
            keepAlive = events.version == HttpVersion.HTTP_1_1
                    && !events.fields().contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            current.head(status, events.reason, events.fields());
        }
        ByteBuffer held = answer == current ? events.takePiece() : null;
        if (held != null) {
            handing = true;
            pieceUsed = false;
            current.content(held, this::pieceUsed);
            handing = false;
            if (!pieceUsed) {
                return false; // pieceUsed() reads on
            }
        }
        if (answer == current && events.takeEnd()) {
            if (informational(status)) {
                parser.reset();
                return true;
            }
            answer = null;
            boolean reusable = requestSent && keepAlive && !input.hasRemaining() && getEndPoint().isOpen();
            if (!reusable) {
                getEndPoint().close();
                current.complete();
                return false;
            }
            parser.reset();
            pool.release(this);
            current.complete();
            // Nothing can come before the next request: wait for it without a read in vain.
            if (getEndPoint().isOpen() && !getEndPoint().isFillInterested()) {
                fillInterested();
            }
            return false;
        }
        return getEndPoint().isOpen();
    }

    /** A 1xx answer other than 101: the real answer follows it. */
    private static boolean informational(int status) {
        return status >= 100 && status < 200 && status != 101;
    }

    private void pieceUsed() {
        if (handing) {
            pieceUsed = true;
            return;
        }
        if (dispatch()) {
            read();
        }
    }

    /** The link broke: its exchange, if any, fails, and it leaves its pool. */
    private void end(Throwable cause) {
        Answer current = answer;
        answer = null;
        getEndPoint().close();
        if (current != null) {
            current.failed(cause);
        }
    }

    @Override
    public void onClose(Throwable cause) {
        pool.remove(this);
        super.onClose(cause);
        Answer current = answer;
        answer = null;
        if (current != null) {
            current.failed(cause != null ? cause : new EOFException("the connection to the instance closed"));
        }
    }

    @Override
    public boolean onIdleExpired(TimeoutException timeout) {
        return answer == null; // a request's own timeout governs while it is under way
    }

    /** The parser's events, with the status line's parts. */
    private static final class Events extends MessageEvents implements HttpParser.ResponseHandler {
        private HttpVersion version;
        private int status;
        private String reason;

        @Override
        public void startResponse(HttpVersion answerVersion, int code, String phrase) {
            started();
            version = answerVersion;
            status = code;
            reason = phrase;
        }
    }
}
