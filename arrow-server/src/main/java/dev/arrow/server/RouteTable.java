package dev.arrow.server;

import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.triggers.Triggers;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Mode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The gateway routes arrows claim with {@code http} triggers (a path prefix, methods, a host),
 * besides their own {@code /a/{arrow}/}. A request goes to the claim with the longest path prefix
 * that covers its path, whose host (if given) is the request's and whose methods (if given) hold
 * its method; a claim's host beats none at the same length. Claims of two arrows never overlap:
 * a deploy or rollback that would make them is refused ({@link #check}). Lookups read an immutable
 * snapshot; changes are serialized.
 */
final class RouteTable {

    /** Trigger {@code index} of {@code arrow} claims {@code route}. */
    record Claim(String arrow, int index, Trigger.Http route) {
    }

    private static final Comparator<Claim> FIRST = Comparator
            .comparingInt((Claim c) -> c.route().path().length()).reversed()
            .thenComparing(c -> c.route().host().isEmpty());

    private volatile List<Claim> claims = List.of();

    /** The claim that routes a request; {@code host} as its Host header says (a port may follow). */
    Optional<Claim> match(String host, String method, String path) {
        List<Claim> now = claims;
        if (now.isEmpty() || path == null || !path.startsWith("/")) {
            return Optional.empty();
        }
        String name = hostName(host);
        for (Claim claim : now) {
            Trigger.Http route = claim.route();
            if (route.host().isPresent() && !route.host().get().equals(name)) {
                continue;
            }
            if (!route.methods().isEmpty() && !route.methods().contains(method)
                    && !(method.equals("HEAD") && route.methods().contains("GET"))) {
                continue;
            }
            if (Trigger.Http.covers(route.path(), path)) {
                return Optional.of(claim);
            }
        }
        return Optional.empty();
    }

    /** Whether any arrow claims a route: else nothing but {@code /a/} goes to the gateway. */
    boolean isEmpty() {
        return claims.isEmpty();
    }

    /** The routes of {@code spec}'s triggers, each with its index in the list. */
    static List<Claim> claimsOf(ArrowSpec spec) {
        if (spec.triggers().isEmpty()) {
            return List.of();
        }
        List<Trigger> triggers = Triggers.parse(spec.triggers().list(), Set.copyOf(spec.bindings().queues()),
                Set.copyOf(spec.bindings().buckets()));
        var out = new ArrayList<Claim>();
        for (int i = 0; i < triggers.size(); i++) {
            if (triggers.get(i) instanceof Trigger.Http route) {
                out.add(new Claim(spec.name(), i, route));
            }
        }
        return out;
    }

    /**
     * Refuses {@code spec}'s routes when it is not an http-mode arrow (400), or when one overlaps a
     * route another arrow claims (409), naming {@code triggers[i].http.path} and that arrow.
     */
    void check(ArrowSpec spec) {
        List<Claim> wanted = claimsOf(spec);
        if (wanted.isEmpty()) {
            return;
        }
        if (spec.mode() != Mode.HTTP) {
            Claim first = wanted.getFirst();
            throw ApiError.invalid("triggers[" + first.index() + "].http", "triggers[" + first.index()
                    + "].http: only an http-mode arrow may claim a gateway route; '" + spec.name() + "' runs in "
                    + spec.mode().name().toLowerCase(Locale.ROOT) + " mode");
        }
        List<Claim> now = claims;
        for (Claim claim : wanted) {
            for (Claim other : now) {
                if (!other.arrow().equals(spec.name()) && other.route().overlaps(claim.route())) {
                    String field = "triggers[" + claim.index() + "].http.path";
                    throw new ApiError(409, "route_claimed", field + ": the route " + describe(claim.route())
                            + " overlaps " + describe(other.route()) + ", claimed by the arrow '" + other.arrow() + "'",
                            Optional.of(field));
                }
            }
        }
    }

    /** Makes {@code arrow}'s claims those of {@code spec}, as {@link #check} allowed them. */
    synchronized void set(String arrow, ArrowSpec spec) {
        List<Claim> wanted = spec.mode() == Mode.HTTP ? claimsOf(spec) : List.of();
        var next = new ArrayList<Claim>();
        for (Claim claim : claims) {
            if (!claim.arrow().equals(arrow)) {
                next.add(claim);
            }
        }
        next.addAll(wanted);
        next.sort(FIRST);
        claims = List.copyOf(next);
    }

    synchronized void remove(String arrow) {
        claims = claims.stream().filter(c -> !c.arrow().equals(arrow)).toList();
    }

    List<Claim> claims() {
        return claims;
    }

    private static String describe(Trigger.Http route) {
        return route.path() + (route.methods().isEmpty() ? "" : " " + route.methods().stream().sorted().toList())
                + route.host().map(h -> " on " + h).orElse("");
    }

    /** The name in a Host header: lower case, without its port; IPv6 literals keep their brackets. */
    static String hostName(String host) {
        if (host == null) {
            return "";
        }
        String name = host.strip();
        int colon = name.lastIndexOf(':');
        if (colon >= 0 && name.indexOf(']') < colon) {
            name = name.substring(0, colon);
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name.toLowerCase(Locale.ROOT);
    }
}
