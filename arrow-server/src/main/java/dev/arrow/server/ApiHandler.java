package dev.arrow.server;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.PlatformException;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The node's one Jetty handler: checks the token on /v1, routes, and turns every failure into a
 * JSON error. Nothing a client sends can make it answer with a stack trace.
 */
final class ApiHandler extends Handler.Abstract {

    private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());

    private final Router router;
    private final String token;
    private final Gateway gateway;
    private final Executor blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("arrow-route-", 0).factory());

    ApiHandler(Router router, String token, Gateway gateway) {
        // Called on the selector thread: routes that block (sandboxes, SQLite) go to a virtual thread.
        super(InvocationType.NON_BLOCKING);
        this.router = router;
        this.token = token;
        this.gateway = gateway;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        var exchange = new Exchange(request, response, callback);
        String path = exchange.path();
        if (path != null && path.startsWith(Gateway.PREFIX)) {
            try {
                if (gateway.forwardNow(exchange)) {
                    return true;
                }
            } catch (Exception e) {
                answer(exchange, e);
                return true;
            }
        }
        blocking.execute(() -> route(exchange));
        return true;
    }

    private void route(Exchange exchange) {
        try {
            String path = exchange.path();
            if (path != null && path.startsWith(Gateway.PREFIX)) {
                gateway.handle(exchange);
                return;
            }
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
    private static void answer(Exchange exchange, Exception failure) {
        try {
            throw failure;
        } catch (ApiError e) {
            respond(exchange, e.status(), e.code(), e.getMessage(), e.field());
        } catch (PlatformException e) {
            switch (e) {
                case InvalidInputException invalid ->
                        respond(exchange, 400, "invalid_input", invalid.getMessage(), Optional.ofNullable(invalid.field()));
                case NotFoundException notFound -> respond(exchange, 404, "not_found", notFound.getMessage(), Optional.empty());
                case dev.arrow.platform.InstanceUnavailableException unavailable -> {
                    exchange.setHeader("X-Arrow-Invocation-Id", unavailable.invocationId());
                    respond(exchange, 503, "instance_unavailable", unavailable.getMessage(), Optional.empty());
                }
                case OverloadedException overloaded -> {
                    exchange.setHeader("Retry-After", Long.toString(Math.max(1, overloaded.retryAfter().toSeconds())));
                    respond(exchange, 429, "overloaded", overloaded.getMessage(), Optional.empty());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(exchange, 503, "unavailable", "the node is shutting down", Optional.empty());
        } catch (Exception e) {
            LOG.log(Level.SEVERE, "unexpected failure of " + exchange.method() + " " + exchange.path(), e);
            respond(exchange, 500, "internal", "the node failed unexpectedly; the node's log has the details",
                    Optional.empty());
        }
    }

    private boolean authorized(Exchange exchange) {
        Optional<String> header = exchange.header("Authorization");
        if (header.isEmpty() || !header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return TokenFile.matches(token, header.get().substring(7).trim());
    }

    private static void respond(Exchange exchange, int status, String code, String message, Optional<String> field) {
        if (exchange.responded()) {
            return; // the failure came after the answer started: nothing more can be said
        }
        exchange.error(status, code, message, field, null);
    }
}
