package dev.arrow.runtime.instances;

import java.io.EOFException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpParser;

/**
 * An {@link HttpParser} handler that keeps one parse's events for its caller, who handles them
 * after {@code parseNext} returns: handling them may call back into the connection being parsed,
 * which a parse under way would not survive. It stops the parse at the head, at each piece of the
 * body and at the end. For the two sides of the gateway's lean path.
 */
public abstract class MessageEvents implements HttpParser.HttpHandler {

    private HttpFields.Mutable fields = HttpFields.build();
    private boolean head;
    private ByteBuffer piece;
    private boolean end;
    private Throwable malformed;

    /** A message starts: called by the request or status line's event. */
    protected final void started() {
        fields = HttpFields.build();
    }

    /** The current message's headers. */
    public final HttpFields.Mutable fields() {
        return fields;
    }

    /** Whether the head has been parsed since this was last asked. */
    public final boolean takeHead() {
        boolean parsed = head;
        head = false;
        return parsed;
    }

    /** A piece of the body, valid until the buffer parsed is reused; null: none since last asked. */
    public final ByteBuffer takePiece() {
        ByteBuffer taken = piece;
        piece = null;
        return taken;
    }

    /** Whether the message has ended since this was last asked. */
    public final boolean takeEnd() {
        boolean ended = end;
        end = false;
        return ended;
    }

    /** Why the message cannot be parsed (an {@link EOFException}: it ended early), or null. */
    public final Throwable takeMalformed() {
        Throwable cause = malformed;
        malformed = null;
        return cause;
    }

    @Override
    public final void parsedHeader(HttpField field) {
        fields.add(field);
    }

    @Override
    public final boolean headerComplete() {
        head = true;
        return true;
    }

    @Override
    public final boolean content(ByteBuffer item) {
        piece = item;
        return true;
    }

    @Override
    public final boolean contentComplete() {
        return false;
    }

    @Override
    public final boolean messageComplete() {
        end = true;
        return true;
    }

    @Override
    public final void earlyEOF() {
        malformed = new EOFException("the connection ended mid-message");
    }

    @Override
    public final void badMessage(HttpException failure) {
        malformed = (Throwable) failure;
    }
}
