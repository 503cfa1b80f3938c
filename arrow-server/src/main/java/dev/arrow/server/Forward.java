package dev.arrow.server;

import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.WarmCall;
import dev.arrow.runtime.instances.InstanceLink;
import dev.arrow.sandbox.Outcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * One gateway request on its way to an instance over an {@link InstanceLink}, and the instance's
 * answer on its way back to the request's {@link ClientSide}; the invocation's slot is held until
 * it is recorded here. Exactly one of the answer's end, its failure, the timeout or the client's
 * going away ends it ({@link #end}). Its events come one at a time: the link's on the selector
 * thread, the client side's in order.
 */
final class Forward implements InstanceLink.Answer {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Gateway gateway;
    private final WarmCall call;
    private final ForwardingRules.Request request;
    private final ClientSide side;
    private final Scheduler.Task timeout;
    private InstanceLink link;
    private boolean chunked; // the request's body, re-framed
    private boolean lastSent; // the link was told the request ends
    private int status;
    private long copied;
    private volatile boolean requestRead; // set by the client side, which Jetty may run on another thread
    private boolean ended;
    private boolean responding;
    private boolean recorded;

    Forward(Gateway gateway, WarmCall call, ForwardingRules.Request request, ClientSide side) {
        this.gateway = gateway;
        this.call = call;
        this.request = request;
        this.side = side;
        this.timeout = gateway.scheduler().schedule(() -> gateway.selector().execute(this::timedOut),
                call.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    void begin() {
        gateway.client().link(call.instance(), Promise.from(this::linked, this::linkFailed));
    }

    private void linked(InstanceLink made) {
        synchronized (this) {
            if (ended) {
                made.abort(); // timed out, or the client went away, while it connected
                return;
            }
            link = made;
        }
        made.begin(this, request.method().equals("HEAD"));
        chunked = request.bodyLength() < 0;
        lastSent = request.bodyLength() == 0;
        made.write(lastSent, Callback.from(() -> side.sendBody(this), this::requestFailed), requestHead(made));
    }

    private ByteBuffer requestHead(InstanceLink made) {
        var text = new StringBuilder(512).append(request.method()).append(' ').append(request.target().pathAndQuery())
                .append(" HTTP/1.1\r\n");
        for (HttpField field : ForwardingRules.toInstance(request, call.invocationId(), made.authority())) {
            text.append(field.getName()).append(": ").append(field.getValue()).append("\r\n");
        }
        return ByteBuffer.wrap(text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A piece of the request's body; {@code last}: the body ends with it. {@code written} runs once it is out. */
    void sendBody(ByteBuffer bytes, boolean last, Callback written) {
        if (ended) {
            written.succeeded(); // read and dropped: the exchange is over
            return;
        }
        if (chunked) {
            link.write(false, written, chunkSize(bytes.remaining()), bytes, ByteBuffer.wrap(CRLF));
        } else {
            lastSent |= last;
            link.write(last, written, bytes);
        }
    }

    /** The whole request has been read from the client. */
    void requestRead() {
        requestRead = true;
        if (ended || lastSent) {
            return;
        }
        lastSent = true;
        // A body whose end came apart from its last piece still has to be told ended, or the link is not reused.
        link.write(true, Callback.from(() -> { }, this::requestFailed),
                chunked ? ByteBuffer.wrap(LAST_CHUNK) : BufferUtil.EMPTY_BUFFER);
    }

    /** Sending the request failed: the link is broken. */
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
        side.head(code, reason, ForwardingRules.toClient(answer, call.invocationId(), call.cold()));
    }

    @Override
    public void content(ByteBuffer bytes, Runnable more) {
        if (!claimResponse()) {
            return;
        }
        copied += bytes.remaining();
        side.content(bytes, Callback.from(more, this::responseFailed));
    }

    @Override
    public void complete() {
        if (claimResponse() && end()) {
            side.complete(Callback.from(this::answerWritten, this::responseFailed));
        }
    }

    private void answerWritten() {
        timeout.cancel();
        if (claimRecord()) {
            // The slot is free before the client's next request is read.
            call.finishWithoutBlocking(status, copied, Optional.empty());
            side.answered(requestRead);
        }
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
        side.broken(cause);
    }

    private void timedOut() {
        if (end()) {
            abortLink();
            answerFailed(new TimeoutException("no answer within " + call.timeout().toMillis() + " ms"));
        }
    }

    /** The client left; false: the exchange had ended already. */
    boolean clientGone() {
        if (!end()) {
            return false;
        }
        abortLink();
        abandon();
        return true;
    }

    /** The client left: its slot is free at once, since the instance is not at fault. */
    private void abandon() {
        timeout.cancel();
        if (claimRecord()) {
            call.abandonWithoutBlocking(status, copied);
        }
    }

    private void abortLink() {
        InstanceLink current;
        synchronized (this) {
            current = link;
        }
        if (current != null) {
            current.abort();
        }
    }

    /** No (whole) answer: a JSON error if none of it went out yet, else the client's connection ends. */
    private void answerFailed(Throwable cause) {
        timeout.cancel();
        boolean started;
        synchronized (this) {
            started = responding;
        }
        if (started) {
            if (claimRecord()) {
                call.finishWithoutBlocking(status, copied, Optional.of(cause));
            }
            side.broken(cause);
            return;
        }
        boolean bodyUnread = !requestRead;
        if (!claimRecord()) {
            return;
        }
        call.finishWithoutBlocking(0, 0, Optional.of(cause)).thenAccept(record ->
                gateway.selector().execute(() -> side.failed(failureAnswer(cause, record), bodyUnread)));
    }

    /** The answer to a request that got no answer from its instance, once {@code record} is finished. */
    private ErrorAnswer failureAnswer(Throwable cause, InvocationRecord record) {
        boolean timedOut = cause instanceof TimeoutException;
        String message = record.execution().flatMap(run -> run.error().map(RunError::message).or(() -> Optional.of(
                run.outcome() instanceof Outcome.FailedToStart failed ? failed.detail() : run.outcome().name())))
                .orElse("the instance did not answer");
        return new ErrorAnswer(timedOut ? 504 : 502, timedOut ? "timed_out" : "instance_failed", message,
                Optional.empty(), Map.of(ForwardingRules.ANSWER_INVOCATION_ID, call.invocationId()));
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

    private static ByteBuffer chunkSize(int bytes) {
        return ByteBuffer.wrap((Integer.toHexString(bytes) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }
}
