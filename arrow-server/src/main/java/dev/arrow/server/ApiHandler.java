package dev.arrow.server;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The node's one Jetty handler: checks the token on /v1, routes, and turns every failure into a
 * JSON error. Nothing a client sends can make it answer with a stack trace.
 */
final class ApiHandler extends Handler.Abstract {

    private final Router router;
    private final String token;
    private final Gateway gateway;
    private final Executor blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("arrow-route").factory());

    private final Duration bodyDeadline;

    ApiHandler(Router router, String token, Gateway gateway, Duration bodyDeadline) {
        // Called on the selector thread: routes that block (sandboxes, SQLite) go to a virtual thread.
        super(InvocationType.NON_BLOCKING);
        this.router = router;
        this.token = token;
        this.gateway = gateway;
        this.bodyDeadline = bodyDeadline;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        var exchange = new Exchange(request, response, callback, bodyDeadline);
        String path = exchange.path();
        if (path != null && path.startsWith(Gateway.PREFIX)) {
            try {
                gateway.handle(exchange); // what waits there waits on a virtual thread of the gateway's
            } catch (RuntimeException e) {
                answer(exchange, e);
            }
            return true;
        }
        blocking.execute(() -> route(exchange));
        return true;
    }

    private void route(Exchange exchange) {
        try {
            String path = exchange.path();
            if (path != null && (path.equals("/v1") || path.startsWith("/v1/")) && !authorized(exchange)) {
                exchange.setHeader("WWW-Authenticate", "Bearer");
                throw new ApiError(401, "unauthorized", "missing or invalid token");
            }
            switch (router.match(exchange.method(), path)) {
                case Router.Match.Found found -> {
                    exchange.pathParams(found.params());
                    found.route().handler().handle(exchange);
                }
                case Router.Match.WrongMethod wrong -> {
                    exchange.setHeader("Allow", String.join(", ", wrong.allowed()));
                    throw new ApiError(405, "method_not_allowed", exchange.method() + " is not allowed here; use "
                            + String.join(" or ", wrong.allowed()));
                }
                case Router.Match.NoRoute none -> throw new ApiError(404, "not_found", "no such endpoint: " + path);
            }
        } catch (Exception e) {
            answer(exchange, e);
        }
    }

    /** Every failure as a JSON error. */
    static void answer(Exchange exchange, Exception failure) {
        ErrorAnswer error = ErrorAnswer.of(failure, exchange.method() + " " + exchange.path());
        if (exchange.responded()) {
            return; // the failure came after the answer started: nothing more can be said
        }
        error.headers().forEach(exchange::setHeader);
        exchange.error(error.status(), error.code(), error.message(), error.field(), null);
    }

    private boolean authorized(Exchange exchange) {
        Optional<String> header = exchange.header("Authorization");
        if (header.isEmpty() || !header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return TokenFile.matches(token, header.get().substring(7).trim());
    }
}
