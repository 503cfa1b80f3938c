package dev.arrow.server;

import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.invocations.CompletedInvocation;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.InvocationStatus;
import dev.arrow.platform.invocations.WarmCall;
import dev.arrow.runtime.instances.InstanceClient;
import dev.arrow.sandbox.Outcome;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.eclipse.jetty.client.ContentSourceRequestContent;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * The user-facing gateway: {@code ANY /a/{arrow}/{path...}} forwards the request, with the rest
 * of the path, to a warm instance of an http-mode arrow, streaming bodies both ways; an exec-mode
 * arrow is invoked with the body as input and answers with its output. No token: this is the
 * arrows' own traffic. Every request is an invocation with a record (trigger http).
 */
final class Gateway {

    static final String PREFIX = "/a/";

    /** Hop-by-hop headers (RFC 9110 7.6.1) and those the client sets itself. */
    static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length");

    /**
     * The headers {@code fields} name in their Connection headers, lower case (RFC 9110 7.6.1:
     * they are hop-by-hop too, e.g. HTTP2-Settings); usually none.
     */
    static Set<String> connectionListed(HttpFields fields) {
        Set<String> listed = Set.of();
        for (HttpField field : fields) {
            if (field.getHeader() == HttpHeader.CONNECTION) {
                for (String token : field.getValues()) {
                    String name = token.trim().toLowerCase(Locale.ROOT);
                    if (!name.isEmpty() && !name.equals("close") && !name.equals("keep-alive")) {
                        listed = listed.isEmpty() ? new HashSet<>() : listed;
                        listed.add(name);
                    }
                }
            }
        }
        return listed;
    }

    private final InvocationService invocations;
    private final Supplier<InstanceClient> client;
    private final int maxInputBytes;

    Gateway(InvocationService invocations, Supplier<InstanceClient> client, int maxInputBytes) {
        this.invocations = invocations;
        this.client = client;
        this.maxInputBytes = maxInputBytes;
    }

    /**
     * Forwards the request at once if that needs no wait: a ready instance of a known http-mode
     * arrow has a free slot. Called on the selector thread, so that the request, the instance's
     * answer and the response are all handled there; false: nothing was done, call {@link #handle}.
     */
    boolean forwardNow(Exchange exchange) {
        Target target = Target.of(exchange.request());
        if (!ArrowName.isValid(target.arrow())) {
            return false;
        }
        Optional<WarmCall> call = invocations.tryOpenHttp(target.arrow());
        if (call.isEmpty()) {
            return false;
        }
        forward(exchange, target, call.get());
        return true;
    }

    /** Any gateway request; may block (an instance's start, a wait for a slot, an exec invocation). */
    void handle(Exchange exchange) throws Exception {
        Target target = Target.of(exchange.request());
        ArrowName.require(target.arrow(), "arrow");
        if (invocations.mode(target.arrow()) == Mode.EXEC) {
            invokeExec(exchange, target.arrow());
            return;
        }
        forward(exchange, target, invocations.openHttp(target.arrow()));
    }

    /** The arrow named by a gateway path (not yet checked) and what goes to it. */
    record Target(String arrow, String pathAndQuery) {
        static Target of(Request request) {
            return of(request.getHttpURI().getPath(), request.getHttpURI().getQuery());
        }

        /** {@code path} starts with {@link #PREFIX}; {@code query} may be null. */
        static Target of(String path, String query) {
            String rest = path.substring(PREFIX.length());
            int slash = rest.indexOf('/');
            String arrow = slash < 0 ? rest : rest.substring(0, slash);
            String forwarded = slash < 0 ? "/" : rest.substring(slash);
            return new Target(arrow, query == null ? forwarded : forwarded + "?" + query);
        }
    }

    private void invokeExec(Exchange exchange, String arrow) throws Exception {
        byte[] input = exchange.body(maxInputBytes);
        CompletedInvocation done = invocations.invoke(arrow, input);
        exchange.setHeader("X-Arrow-Invocation-Id", done.record().id());
        if (done.record().status() == InvocationStatus.SUCCEEDED) {
            exchange.bytes(200, "application/octet-stream", done.output());
        } else {
            exchange.error(502, "invocation_failed", "'" + arrow + "' failed; see invocation " + done.record().id(),
                    Optional.empty(), null);
        }
    }

    private void forward(Exchange exchange, Target target, WarmCall call) {
        try {
            send(exchange, target.arrow(), target.pathAndQuery(), call);
        } catch (RuntimeException e) {
            call.finishWithoutBlocking(0, 0, Optional.of(e)); // the instance's slot is freed whatever happened
            throw e;
        }
    }

    private void send(Exchange exchange, String arrow, String pathAndQuery, WarmCall call) {
        Request request = exchange.request();
        var outgoing = client.get().newRequest(call.instance(), pathAndQuery)
                .method(request.getMethod())
                .timeout(call.timeout().toMillis(), TimeUnit.MILLISECONDS);
        String forwardedFor = Request.getRemoteAddr(request);
        String host = request.getHeaders().get(HttpHeader.HOST);
        Set<String> listed = connectionListed(request.getHeaders());
        outgoing.headers(headers -> {
            for (HttpField field : request.getHeaders()) {
                if (!NOT_FORWARDED.contains(field.getLowerCaseName()) && !listed.contains(field.getLowerCaseName())) {
                    headers.add(field);
                }
            }
            headers.put("X-Forwarded-For", forwardedFor);
            headers.put("X-Forwarded-Proto", request.getHttpURI().getScheme());
            if (host != null) {
                headers.put("X-Forwarded-Host", host);
            }
            headers.put("X-Forwarded-Prefix", PREFIX + arrow);
            headers.put("Arrow-Invocation-Id", call.invocationId());
        });
        long length = request.getLength();
        if (length != 0) {
            outgoing.body(new ContentSourceRequestContent(request, request.getHeaders().get(HttpHeader.CONTENT_TYPE)));
        }
        var relay = new Relay(exchange, call);
        outgoing.onResponseHeaders(relay::headers).onResponseContentSource(relay::body).send(relay::complete);
    }

    /**
     * Carries the instance's answer to the client as it arrives, on the instance client's own
     * threads: the request's thread is done once the request is sent, and no thread waits for the
     * answer to hand it on. Exactly one of {@link #finished} or {@link #failedBeforeHeaders} ends it.
     */
    private static final class Relay {
        private final Exchange exchange;
        private final WarmCall call;
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile int status;
        private long copied; // written by the copy, read after it ends

        Relay(Exchange exchange, WarmCall call) {
            this.exchange = exchange;
            this.call = call;
        }

        void headers(org.eclipse.jetty.client.Response answer) {
            Response response = exchange.response();
            status = answer.getStatus();
            response.setStatus(status);
            HttpFields.Mutable headers = response.getHeaders();
            Set<String> listed = connectionListed(answer.getHeaders());
            for (HttpField field : answer.getHeaders()) {
                String name = field.getLowerCaseName();
                if ((!NOT_FORWARDED.contains(name) || name.equals("content-length")) && !listed.contains(name)) {
                    headers.add(field);
                }
            }
            headers.put("X-Arrow-Invocation-Id", call.invocationId());
            headers.put("X-Arrow-Cold", Boolean.toString(call.cold()));
        }

        void body(org.eclipse.jetty.client.Response answer, Content.Source source) {
            Response response = exchange.response();
            Content.Sink counting = (last, buffer, callback) -> {
                if (buffer != null) {
                    copied += buffer.remaining();
                }
                response.write(last, buffer, callback);
            };
            exchange.markResponded();
            // Non-blocking, so that a body arriving after the headers is copied on the selector
            // thread too: with a blocking callback, Jetty hands each such read to a pool thread.
            Content.copy(source, counting, Callback.from(Invocable.InvocationType.NON_BLOCKING,
                    () -> finished(Optional.empty()), failure -> finished(Optional.of(failure))));
        }

        /** The client side of the exchange ended; only a failure before any header is this one's to answer. */
        void complete(Result result) {
            if (result.isFailed() && !exchange.responded() && ended.compareAndSet(false, true)) {
                failedBeforeHeaders(result.getFailure());
            }
        }

        private void finished(Optional<Throwable> failure) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            // Before the exchange ends: where finishing need not wait, the slot is free before the
            // connection reads the client's next request.
            call.finishWithoutBlocking(status, copied, failure);
            // Headers are out: on a failure the client sees the response cut short, which is the truth.
            failure.ifPresentOrElse(exchange::fail, exchange::succeed);
        }

        private void failedBeforeHeaders(Throwable cause) {
            call.finishWithoutBlocking(0, 0, Optional.of(cause)).thenAccept(record -> {
                ErrorAnswer error = failureAnswer(call, cause, record);
                error.headers().forEach(exchange::setHeader);
                exchange.error(error.status(), error.code(), error.message(), Optional.empty(), null);
            });
        }
    }

    /** The answer to a forwarded request that got no answer from its instance, once {@code record} is finished. */
    static ErrorAnswer failureAnswer(WarmCall call, Throwable cause, InvocationRecord record) {
        boolean timedOut = cause instanceof TimeoutException;
        String message = record.execution().flatMap(run -> run.error().or(() -> Optional.of(run.outcome()
                instanceof Outcome.FailedToStart failed ? failed.detail() : run.outcome().name())))
                .orElse("the instance did not answer");
        return new ErrorAnswer(timedOut ? 504 : 502, timedOut ? "timed_out" : "instance_failed", message,
                Optional.empty(), Map.of("X-Arrow-Invocation-Id", call.invocationId()));
    }
}
