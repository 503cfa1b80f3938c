package dev.arrow.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Method + path templates like {@code /v1/arrows/{name}}; what a route table needs and no more. A
 * last segment {@code {name...}} takes the rest of the path, slashes and all, and may be empty:
 * a KV key is a path of its own ({@code /v1/kv/{store}/keys/{key...}}).
 */
final class Router {

    interface Handler {
        void handle(Exchange exchange) throws Exception;
    }

    /**
     * A way to answer on the connection's own thread, which must not block: from memory, or not
     * at all (false), and then the route's {@link Handler} answers on a virtual thread.
     */
    interface FastHandler {
        boolean tryHandle(Exchange exchange) throws Exception;
    }

    /** A route with its template split once, so that matching a request splits only the path. */
    record Route(String method, String template, Handler handler, List<String> segments, boolean takesRest,
            Optional<FastHandler> fast) {
        static Route of(String method, String template, Handler handler, Optional<FastHandler> fast) {
            List<String> segments = List.of(template.substring(1).split("/", -1));
            for (int i = 0; i < segments.size() - 1; i++) {
                if (isRest(segments.get(i))) {
                    throw new IllegalArgumentException("only the last segment may take the rest of the path: " + template);
                }
            }
            return new Route(method, template, handler, segments, isRest(segments.getLast()), fast);
        }
    }

    /** A match, or the methods the path allows when only the method was wrong. */
    sealed interface Match {
        record Found(Route route, Map<String, String> params) implements Match {
        }

        record WrongMethod(Set<String> allowed) implements Match {
        }

        record NoRoute() implements Match {
        }
    }

    private final List<Route> routes = new ArrayList<>();

    Router add(String method, String template, Handler handler) {
        routes.add(Route.of(method, template, handler, Optional.empty()));
        return this;
    }

    /** A route that may be answered at once, without blocking, by {@code fast}; else by {@code handler}. */
    Router add(String method, String template, FastHandler fast, Handler handler) {
        routes.add(Route.of(method, template, handler, Optional.of(fast)));
        return this;
    }

    private static boolean isRest(String segment) {
        return segment.startsWith("{") && segment.endsWith("...}");
    }

    List<Route> routes() {
        return List.copyOf(routes);
    }

    Match match(String method, String path) {
        if (path == null || !path.startsWith("/")) {
            return new Match.NoRoute();
        }
        String[] parts = path.substring(1).split("/", -1);
        Set<String> allowed = new LinkedHashSet<>();
        for (Route route : routes) {
            if (!fits(route, parts)) {
                continue;
            }
            if (route.method().equals(method)) {
                return new Match.Found(route, params(route, parts));
            }
            allowed.add(route.method());
        }
        return allowed.isEmpty() ? new Match.NoRoute() : new Match.WrongMethod(allowed);
    }

    private static boolean fits(Route route, String[] parts) {
        List<String> template = route.segments();
        int size = template.size();
        if (route.takesRest() ? parts.length < size : parts.length != size) {
            return false;
        }
        for (int i = 0; i < (route.takesRest() ? size - 1 : size); i++) {
            String segment = template.get(i);
            if (segment.startsWith("{") ? parts[i].isEmpty() : !segment.equals(parts[i])) {
                return false;
            }
        }
        return true;
    }

    /** The parameters of a path that {@link #fits} the route. */
    private static Map<String, String> params(Route route, String[] parts) {
        List<String> template = route.segments();
        int fixed = route.takesRest() ? template.size() - 1 : template.size();
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < fixed; i++) {
            String segment = template.get(i);
            if (segment.startsWith("{")) {
                params.put(segment.substring(1, segment.length() - 1), parts[i]);
            }
        }
        if (route.takesRest()) {
            String segment = template.getLast();
            params.put(segment.substring(1, segment.length() - 4),
                    String.join("/", Arrays.asList(parts).subList(fixed, parts.length)));
        }
        return params;
    }
}
