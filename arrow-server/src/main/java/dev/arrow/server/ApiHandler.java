package dev.arrow.server;

import dev.arrow.platform.access.SandboxGrant;
import dev.arrow.platform.access.SandboxTokens;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The node's one Jetty handler: checks the token on /v1, routes, and turns every failure into a
 * JSON error. Nothing a client sends can make it answer with a stack trace.
 *
 * <p>Two doors lead here. On TCP, /v1 takes the operator's token. On the node's Unix socket, which
 * sandboxes see, every request takes a sandbox's token and may reach only what its arrow binds
 * ({@link SandboxAuthorization}); neither token is accepted at the other door.
 */
final class ApiHandler extends Handler.Abstract {

    private final Router router;
    private final String token;
    private final SandboxTokens sandboxTokens;
    private final Gateway gateway;
    private final Executor blocking = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("arrow-route").factory());

    private final Duration bodyDeadline;

    ApiHandler(Router router, String token, SandboxTokens sandboxTokens, Gateway gateway, Duration bodyDeadline) {
        // Called on the selector thread: routes that block (sandboxes, SQLite) go to a virtual thread.
        super(InvocationType.NON_BLOCKING);
        this.router = router;
        this.token = token;
        this.sandboxTokens = sandboxTokens;
        this.gateway = gateway;
        this.bodyDeadline = bodyDeadline;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        var exchange = new Exchange(request, response, callback, bodyDeadline);
        boolean fromSandbox = request.getConnectionMetaData().getConnector() instanceof UnixDomainServerConnector;
        String path = exchange.path();
        if (!fromSandbox && path != null && path.startsWith(Gateway.PREFIX)) {
            try {
                gateway.handle(exchange); // what waits there waits on a virtual thread of the gateway's
            } catch (RuntimeException e) {
                answer(exchange, e);
            }
            return true;
        }
        if (!fromSandbox && path != null && !path.equals("/v1") && !path.startsWith("/v1/")) {
            Optional<Gateway.Target> routed = gateway.routed(exchange);
            if (routed.isPresent()) {
                try {
                    gateway.handle(exchange, routed.get()); // a route an arrow claims
                } catch (RuntimeException e) {
                    answer(exchange, e);
                }
                return true;
            }
        }
        // The token, the route and the bindings are checked here, on the connection's thread: none of
        // it blocks. So is a route that can answer from memory; the rest go to a virtual thread.
        try {
            if (fromSandbox) {
                SandboxAuthorization.check(exchange.method(), path, sandboxGrant(exchange));
            } else if (path != null && (path.equals("/v1") || path.startsWith("/v1/")) && !authorized(exchange)) {
                exchange.setHeader("WWW-Authenticate", "Bearer");
                if (bearer(exchange).filter(SandboxTokens::looksLikeOne).isPresent()) {
                    throw new ApiError(401, "unauthorized", "a sandbox's token is accepted only on the node's socket");
                }
                throw new ApiError(401, "unauthorized", "missing or invalid token");
            }
            Router.Route route = match(exchange, path);
            if (route.fast().isPresent() && route.fast().get().tryHandle(exchange)) {
                return true;
            }
            blocking.execute(() -> {
                try {
                    route.handler().handle(exchange);
                } catch (Exception e) {
                    answer(exchange, e);
                }
            });
        } catch (Exception e) {
            if (exchange.hasBody()) {
                blocking.execute(() -> { // a refusal after the body, so that the client hears it
                    exchange.drain();
                    answer(exchange, e);
                });
            } else {
                answer(exchange, e);
            }
        }
        return true;
    }

    /** A request on the socket takes a live sandbox token: its grant. */
    private SandboxGrant sandboxGrant(Exchange exchange) {
        Optional<String> presented = bearer(exchange);
        Optional<SandboxGrant> grant = presented.flatMap(sandboxTokens::check);
        if (grant.isEmpty()) {
            exchange.setHeader("WWW-Authenticate", "Bearer");
            if (presented.isPresent() && TokenFile.matches(token, presented.get())) {
                throw new ApiError(401, "unauthorized", "the node's socket takes only sandbox tokens, not the"
                        + " operator's: use the node's HTTP address");
            }
            throw new ApiError(401, "unauthorized", "missing, revoked or invalid sandbox token");
        }
        return grant.get();
    }

    /** The route of the request, its parameters set on the exchange. */
    private Router.Route match(Exchange exchange, String path) {
        switch (router.match(exchange.method(), path)) {
            case Router.Match.Found found -> {
                exchange.pathParams(found.params());
                return found.route();
            }
            case Router.Match.WrongMethod wrong -> {
                exchange.setHeader("Allow", String.join(", ", wrong.allowed()));
                throw new ApiError(405, "method_not_allowed", exchange.method() + " is not allowed here; use "
                        + String.join(" or ", wrong.allowed()));
            }
            case Router.Match.NoRoute none -> throw new ApiError(404, "not_found", "no such endpoint: " + path);
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
        return bearer(exchange).filter(presented -> TokenFile.matches(token, presented)).isPresent();
    }

    private static Optional<String> bearer(Exchange exchange) {
        Optional<String> header = exchange.header("Authorization");
        if (header.isEmpty() || !header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        return Optional.of(header.get().substring(7).trim());
    }
}
