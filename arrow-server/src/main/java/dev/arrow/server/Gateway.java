package dev.arrow.server;

import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.invocations.CompletedInvocation;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.InvocationStatus;
import dev.arrow.platform.invocations.WarmCall;
import dev.arrow.runtime.instances.InstanceClient;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The user-facing gateway: {@code ANY /a/{arrow}/{path...}} forwards the request, with the rest
 * of the path, to a warm instance of an http-mode arrow, streaming bodies both ways; an exec-mode
 * arrow is invoked with the body as input and answers with its output. No token: this is the
 * arrows' own traffic. Every request is an invocation with a record (trigger http).
 *
 * <p>A request comes in one of two ways: read by a {@link GatewayConnection} (nearly all), or by
 * Jetty ({@link #handle}: what that connection hands over). Either way it is opened here
 * ({@link #open}) and forwarded by a {@link Forward} under the same {@link ForwardingRules}.
 */
final class Gateway {

    static final String PREFIX = "/a/";

    private final InvocationService invocations;
    private final Supplier<InstanceClient> client;
    private final Executor blocking;
    private final Executor selector;
    private final Scheduler scheduler;
    private final int maxInputBytes;
    private final RouteTable routes;

    /**
     * @param blocking runs what waits (virtual threads)
     * @param selector runs what follows a wait: the node connector's selector thread, which serves
     *                 every connection of the node, so that a connection's state is only touched there
     */
    Gateway(InvocationService invocations, Supplier<InstanceClient> client, Executor blocking, Executor selector,
            Scheduler scheduler, int maxInputBytes, RouteTable routes) {
        this.routes = routes;
        this.invocations = invocations;
        this.client = client;
        this.blocking = blocking;
        this.selector = selector;
        this.scheduler = scheduler;
        this.maxInputBytes = maxInputBytes;
    }

    /**
     * The arrow a gateway request goes to (its name not yet checked) and what goes to it.
     *
     * @param prefix what the gateway took off the path ({@code /a/{arrow}}); empty for a route the
     *               arrow claims, whose path goes on whole
     */
    record Target(String arrow, String pathAndQuery, String prefix) {
        static Target of(Request request) {
            return of(request.getHttpURI().getPath(), request.getHttpURI().getQuery());
        }

        /** A request on a route that {@code arrow} claims: the path and query go on as they are. */
        static Target routed(String arrow, String path, String query) {
            return new Target(arrow, query == null ? path : path + "?" + query, "");
        }

        /** {@code path} starts with {@link #PREFIX}; {@code query} may be null. */
        static Target of(String path, String query) {
            String rest = path.substring(PREFIX.length());
            int slash = rest.indexOf('/');
            String arrow = slash < 0 ? rest : rest.substring(0, slash);
            String forwarded = slash < 0 ? "/" : rest.substring(slash);
            return new Target(arrow, query == null ? forwarded : forwarded + "?" + query, PREFIX + arrow);
        }
    }

    /** How opening a request's invocation ended. */
    sealed interface Opened {
        /** A slot on a ready instance: forward the request through it. */
        record Ready(WarmCall call) implements Opened {
        }

        /** The arrow runs in exec mode: Jetty reads the request and {@link #handle} invokes it. */
        record Exec() implements Opened {
        }

        /** No invocation: the client gets this answer. */
        record Failed(ErrorAnswer answer) implements Opened {
        }
    }

    /**
     * Opens the invocation of a request to {@code target}: at once, on the calling thread, when a
     * ready instance has a free slot; else on a virtual thread (a cold start, a wait for a slot),
     * and {@code then} runs on the selector thread. {@code what} names the request in the log.
     */
    void open(Target target, Supplier<String> what, Consumer<Opened> then) {
        Optional<WarmCall> now = invocations.tryOpenHttp(target.arrow());
        if (now.isPresent()) {
            then.accept(new Opened.Ready(now.get()));
            return;
        }
        blocking.execute(() -> {
            Opened opened;
            try {
                opened = invocations.mode(target.arrow()) == Mode.EXEC ? new Opened.Exec()
                        : new Opened.Ready(invocations.openHttp(target.arrow()));
            } catch (Exception e) {
                opened = new Opened.Failed(ErrorAnswer.of(e, what.get())); // here: it may mark this thread interrupted
            }
            Opened outcome = opened;
            selector.execute(() -> then.accept(outcome));
        });
    }

    /**
     * A gateway request Jetty read. Called on the selector thread, and never blocks: what waits
     * ({@link #open}, an exec-mode invocation) waits on a virtual thread.
     */
    void handle(Exchange exchange) {
        handle(exchange, Target.of(exchange.request()));
    }

    /** The target of a request outside {@code /a/} on a route an arrow claims; empty: not the gateway's. */
    Optional<Target> routed(Exchange exchange) {
        if (routes.isEmpty()) {
            return Optional.empty();
        }
        var uri = exchange.request().getHttpURI();
        return routes.match(exchange.request().getHeaders().get(HttpHeader.HOST), exchange.method(), uri.getPath())
                .map(claim -> Target.routed(claim.arrow(), uri.getPath(), uri.getQuery()));
    }

    RouteTable routes() {
        return routes;
    }

    void handle(Exchange exchange, Target target) {
        ArrowName.require(target.arrow(), "arrow");
        var side = new JettySide(exchange);
        open(target, () -> exchange.method() + " " + exchange.path(), opened -> {
            switch (opened) {
                case Opened.Ready ready -> side.start(this, ready.call(), target);
                case Opened.Exec exec -> blocking.execute(() -> invokeExec(exchange, target.arrow()));
                case Opened.Failed failed -> side.failed(failed.answer(), true);
            }
        });
    }

    private void invokeExec(Exchange exchange, String arrow) {
        try {
            byte[] input = exchange.body(maxInputBytes);
            CompletedInvocation done = invocations.invoke(arrow, input);
            exchange.setHeader(ForwardingRules.ANSWER_INVOCATION_ID, done.record().id());
            if (done.record().status() == InvocationStatus.SUCCEEDED) {
                exchange.bytes(200, "application/octet-stream", done.output());
            } else {
                exchange.error(502, "invocation_failed", "'" + arrow + "' failed; see invocation " + done.record().id(),
                        Optional.empty(), null);
            }
        } catch (Exception e) {
            ApiHandler.answer(exchange, e);
        }
    }

    InstanceClient client() {
        return client.get();
    }

    Executor selector() {
        return selector;
    }

    Scheduler scheduler() {
        return scheduler;
    }
}
