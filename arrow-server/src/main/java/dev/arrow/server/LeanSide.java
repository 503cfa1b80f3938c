package dev.arrow.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;

/**
 * The client side of the lean path: writes answers to a {@link GatewayConnection}'s client as
 * HTTP/1.1 bytes, framed here (chunks when the instance gave no length). The head of a forwarded
 * answer waits for the first piece of its body, so that both leave in one write. One per
 * connection, for its requests in turn; on the selector thread.
 */
final class LeanSide implements ClientSide {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final GatewayConnection connection;
    private final EndPoint endPoint;
    private boolean head; // the request is a HEAD
    private boolean close; // the connection ends after this answer
    private ByteBuffer answerHead; // written with the first piece of the body
    private boolean chunked;

    LeanSide(GatewayConnection connection, EndPoint endPoint) {
        this.connection = connection;
        this.endPoint = endPoint;
    }

    /** A request is forwarded; {@code close}: its connection ends after the answer. */
    void begin(boolean headRequest, boolean closeAfter) {
        head = headRequest;
        close = closeAfter;
        answerHead = null;
        chunked = false;
    }

    @Override
    public void sendBody(Forward forward) {
        connection.resumeRequest();
    }

    @Override
    public void head(int status, String reason, List<HttpField> headers) {
        var text = new StringBuilder(256).append("HTTP/1.1 ").append(status).append(' ')
                .append(reason == null || reason.isEmpty() ? HttpStatus.getMessage(status) : reason).append("\r\n");
        boolean lengthKnown = false;
        for (HttpField field : headers) {
            lengthKnown |= field.getHeader() == HttpHeader.CONTENT_LENGTH;
            text.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
        }
        boolean bodyless = head || status == 204 || status == 304 || status < 200;
        chunked = !bodyless && !lengthKnown;
        if (chunked) {
            text.append("Transfer-Encoding: chunked\r\n");
        }
        if (close) {
            text.append("Connection: close\r\n");
        }
        answerHead = ByteBuffer.wrap(text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    @Override
    public void content(ByteBuffer piece, Callback written) {
        ByteBuffer first = takeHead();
        if (chunked) {
            ByteBuffer size = chunkSize(piece.remaining());
            if (first != null) {
                endPoint.write(written, first, size, piece, ByteBuffer.wrap(CRLF));
            } else {
                endPoint.write(written, size, piece, ByteBuffer.wrap(CRLF));
            }
        } else if (first != null) {
            endPoint.write(written, first, piece);
        } else {
            endPoint.write(written, piece);
        }
    }

    @Override
    public void complete(Callback written) {
        ByteBuffer first = takeHead();
        if (first != null && chunked) {
            endPoint.write(written, first, ByteBuffer.wrap(LAST_CHUNK));
        } else if (first != null) {
            endPoint.write(written, first);
        } else if (chunked) {
            endPoint.write(written, ByteBuffer.wrap(LAST_CHUNK));
        } else {
            written.succeeded();
        }
    }

    private ByteBuffer takeHead() {
        ByteBuffer first = answerHead;
        answerHead = null;
        return first;
    }

    @Override
    public void answered(boolean requestWhole) {
        if (requestWhole) {
            connection.nextRequest(close);
        } else {
            // The instance answered before reading the whole request: the rest of it cannot be
            // told from a next request without reading it, so the connection ends here.
            connection.endAfterAnswer();
        }
    }

    @Override
    public void failed(ErrorAnswer error, boolean bodyUnread) {
        connection.respond(error, bodyUnread);
    }

    @Override
    public void broken(Throwable cause) {
        connection.clientGone(cause);
    }

    /** Writes {@code error} as the answer to a request that was not forwarded, or got no answer. */
    void error(ErrorAnswer error, boolean closeAfter, Callback written) {
        byte[] body = error.bodyBytes();
        var text = new StringBuilder(160).append("HTTP/1.1 ").append(error.status()).append(' ')
                .append(HttpStatus.getMessage(error.status())).append("\r\nContent-Type: application/json\r\nContent-Length: ")
                .append(body.length).append("\r\n");
        error.headers().forEach((name, value) -> text.append(name).append(": ").append(value).append("\r\n"));
        if (closeAfter) {
            text.append("Connection: close\r\n");
        }
        text.append("\r\n");
        endPoint.write(written, ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.ISO_8859_1)), ByteBuffer.wrap(body));
    }

    private static ByteBuffer chunkSize(int bytes) {
        return ByteBuffer.wrap((Integer.toHexString(bytes) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }
}
