package dev.arrow.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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

    record Route(String method, String template, Handler handler) {
        String[] segments() {
            return template.substring(1).split("/", -1);
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
        var route = new Route(method, template, handler);
        String[] segments = route.segments();
        for (int i = 0; i < segments.length - 1; i++) {
            if (isRest(segments[i])) {
                throw new IllegalArgumentException("only the last segment may take the rest of the path: " + template);
            }
        }
        routes.add(route);
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
            Map<String, String> params = bind(route.segments(), parts);
            if (params == null) {
                continue;
            }
            if (route.method().equals(method)) {
                return new Match.Found(route, params);
            }
            allowed.add(route.method());
        }
        return allowed.isEmpty() ? new Match.NoRoute() : new Match.WrongMethod(allowed);
    }

    private static Map<String, String> bind(String[] template, String[] parts) {
        boolean rest = isRest(template[template.length - 1]);
        if (rest ? parts.length < template.length : parts.length != template.length) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < template.length; i++) {
            String segment = template[i];
            if (rest && i == template.length - 1) {
                String name = segment.substring(1, segment.length() - 4);
                params.put(name, String.join("/", List.of(parts).subList(i, parts.length)));
            } else if (segment.startsWith("{") && segment.endsWith("}")) {
                if (parts[i].isEmpty()) {
                    return null;
                }
                params.put(segment.substring(1, segment.length() - 1), parts[i]);
            } else if (!segment.equals(parts[i])) {
                return null;
            }
        }
        return params;
    }
}
