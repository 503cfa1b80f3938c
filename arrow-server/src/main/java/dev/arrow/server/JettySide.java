package dev.arrow.server;

import dev.arrow.platform.invocations.WarmCall;
import java.nio.ByteBuffer;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * The client side of a gateway request that Jetty read (HTTP/1.0, {@code Expect}, an odd path, a
 * connection Jetty serves already): the body is read from Jetty's request, the answer written to
 * its response, and Jetty frames both. Jetty's callback is completed once, here.
 */
final class JettySide implements ClientSide {

    private final Exchange exchange;
    private Forward forward; // guarded by this
    private Throwable gone; // guarded by this: the client left
    private boolean completed; // guarded by this: Jetty's callback
    private long bodyLength;
    private int status;
    private List<HttpField> headers; // the answer's, until its first write

    JettySide(Exchange exchange) {
        this.exchange = exchange;
        // The forwarded request's own timeout governs, as on the lean path, not the connection's idle timeout.
        exchange.request().addIdleTimeoutListener(timeout -> false);
        exchange.request().addFailureListener(this::clientGone);
    }

    /** Forwards the request through {@code call}; on the selector thread. */
    void start(Gateway gateway, WarmCall call, Gateway.Target target) {
        Request request = exchange.request();
        bodyLength = bodyLength(request.getHeaders());
        // The connection's security, not Request.isSecure(), which believes an absolute URI's scheme.
        var facts = new ForwardingRules.Request(request.getMethod(), target, request.getHeaders(),
                Request.getRemoteAddr(request), request.getConnectionMetaData().isSecure(), bodyLength);
        Forward made;
        synchronized (this) {
            if (gone != null) {
                call.abandonWithoutBlocking(0, 0); // the client left while it waited
                return;
            }
            made = new Forward(gateway, call, facts, this);
            forward = made;
        }
        made.begin();
    }

    /** 0: none, -1: in chunks. A request without either header has no body, whatever its version. */
    static long bodyLength(HttpFields headers) {
        if (headers.contains(HttpHeader.TRANSFER_ENCODING)) {
            return headers.contains(HttpHeader.TRANSFER_ENCODING, HttpHeaderValue.CHUNKED.asString()) ? -1 : 0;
        }
        return Math.max(0, headers.getLongField(HttpHeader.CONTENT_LENGTH));
    }

    @Override
    public void sendBody(Forward forward) {
        if (bodyLength == 0) {
            forward.requestRead();
        } else {
            new Body(forward).iterate();
        }
    }

    @Override
    public void head(int status, String reason, List<HttpField> headers) {
        this.status = status; // Jetty's response has no reason phrase of its own
        this.headers = headers;
    }

    @Override
    public void content(ByteBuffer piece, Callback written) {
        exchange.markResponded();
        commitHead().write(false, piece, written);
    }

    @Override
    public void complete(Callback written) {
        exchange.markResponded();
        commitHead().write(true, null, written);
    }

    private Response commitHead() {
        Response response = exchange.response();
        if (headers != null) {
            response.setStatus(status);
            HttpFields.Mutable fields = response.getHeaders();
            headers.forEach(fields::add);
            headers = null;
        }
        return response;
    }

    @Override
    public void answered(boolean requestWhole) {
        if (claimCompletion()) {
            exchange.succeed(); // a body left unread is Jetty's to drain or close on
        }
    }

    @Override
    public void failed(ErrorAnswer error, boolean bodyUnread) {
        if (claimCompletion()) {
            error.headers().forEach(exchange::setHeader);
            exchange.error(error.status(), error.code(), error.message(), error.field(), null);
        }
    }

    @Override
    public void broken(Throwable cause) {
        if (claimCompletion()) {
            exchange.fail(cause);
        }
    }

    /** Jetty saw the connection fail: the request's forward, if any, is abandoned. */
    private void clientGone(Throwable cause) {
        Forward current;
        synchronized (this) {
            if (gone != null) {
                return;
            }
            gone = cause;
            current = forward;
        }
        if (current == null || current.clientGone()) {
            broken(cause);
        }
    }

    private synchronized boolean claimCompletion() {
        if (completed) {
            return false;
        }
        completed = true;
        return true;
    }

    /** Copies the request's body to the instance a chunk at a time, each once the last is written. */
    private final class Body extends IteratingCallback {
        private final Forward forward;
        private Content.Chunk writing;

        Body(Forward forward) {
            this.forward = forward;
        }

        @Override
        protected Action process() {
            if (writing != null) {
                boolean last = writing.isLast();
                writing.release();
                writing = null;
                if (last) {
                    forward.requestRead();
                    return Action.SUCCEEDED;
                }
            }
            while (true) {
                Content.Chunk chunk = exchange.request().read();
                if (chunk == null) {
                    exchange.request().demand(this::iterate);
                    return Action.IDLE;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    clientGone(chunk.getFailure()); // the body broke off: the client is gone or spoke nonsense
                    return Action.SUCCEEDED;
                }
                if (chunk.hasRemaining()) {
                    writing = chunk;
                    forward.sendBody(chunk.getByteBuffer(), chunk.isLast(), this);
                    return Action.SCHEDULED;
                }
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    forward.requestRead();
                    return Action.SUCCEEDED;
                }
            }
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
            if (writing != null) {
                writing.release();
                writing = null;
            }
            forward.requestFailed(cause);
        }
    }
}
