package dev.arrow.server;

import java.nio.ByteBuffer;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.util.Callback;

/**
 * The side of a forwarded request that faces its client: where the request's body comes from and
 * where the answer goes. {@link Forward} calls it one event at a time, each at most once but for
 * {@link #content}, and ends with exactly one of {@link #answered}, {@link #failed} or
 * {@link #broken} (or none, when the client left first).
 */
sealed interface ClientSide permits LeanSide, JettySide {

    /** The request's head is at the instance: send its body, if any, then call {@link Forward#requestRead}. */
    void sendBody(Forward forward);

    /** The answer's status line and headers, as the rules forward them: they go out with what follows. */
    void head(int status, String reason, List<HttpField> headers);

    /** A piece of the answer's body; {@code written} runs once it is out, and only then does more come. */
    void content(ByteBuffer piece, Callback written);

    /** The answer is whole; {@code written} runs once its end is out. */
    void complete(Callback written);

    /**
     * The answer is out and the invocation recorded; {@code requestWhole}: the request was read to
     * its end (an instance may answer before it has read all of it).
     */
    void answered(boolean requestWhole);

    /** No answer came and none of it went out: the client gets {@code error} instead. */
    void failed(ErrorAnswer error, boolean bodyUnread);

    /** The exchange cannot end well (the answer broke off, the client left): its connection ends. */
    void broken(Throwable cause);
}
