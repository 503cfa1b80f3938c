package dev.arrow.server;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * How the gateway forwards a request to an instance and its answer back: which headers go on,
 * which the node drops, and which it adds. Every gateway request, read by {@link GatewayConnection}
 * or by Jetty, is forwarded by {@link Forward}, which asks here. Nothing here does I/O.
 *
 * <p>No {@code Via}: like nginx's default, and an app learns nothing from it that the
 * {@code X-Forwarded-} headers do not tell.
 */
final class ForwardingRules {

    static final String INVOCATION_ID = "Arrow-Invocation-Id";
    static final String ANSWER_INVOCATION_ID = "X-Arrow-Invocation-Id";
    static final String ANSWER_COLD = "X-Arrow-Cold";

    private ForwardingRules() {
    }

    /**
     * A gateway request as its client sent it: what the rules need to know of it.
     *
     * @param headers    as the client sent them
     * @param client     the client's address, as the node's socket sees it
     * @param secure     the client reached the node over TLS: the scheme it used, whatever its
     *                   request line or headers say
     * @param bodyLength its body's length: 0 none, -1 unknown until it ends (it comes in chunks)
     */
    record Request(String method, Gateway.Target target, HttpFields headers, String client, boolean secure,
            long bodyLength) {
    }

    /**
     * The headers {@code request} goes to its instance with, in order, as invocation
     * {@code invocationId}; {@code instance} is the instance's address as a Host header names it.
     */
    static List<HttpField> toInstance(Request request, String invocationId, String instance) {
        HttpFields headers = request.headers();
        var out = new ArrayList<HttpField>(headers.size() + 7);
        out.add(new HttpField(HttpHeader.HOST, instance));
        Set<String> listed = connectionListed(headers);
        String host = null;
        for (HttpField field : headers) {
            HttpHeader header = field.getHeader();
            if (header == HttpHeader.HOST) {
                host = field.getValue();
            } else if (!droppedFromRequest(field, header) && (listed.isEmpty() || !listed.contains(field.getLowerCaseName()))) {
                out.add(field);
            }
        }
        // The client's own Forwarded and X-Forwarded- headers are gone: only the node says who it is.
        out.add(new HttpField(HttpHeader.X_FORWARDED_FOR, request.client()));
        out.add(new HttpField(HttpHeader.X_FORWARDED_PROTO, request.secure() ? "https" : "http"));
        if (host != null) {
            out.add(new HttpField(HttpHeader.X_FORWARDED_HOST, host));
        }
        if (!request.target().prefix().isEmpty()) {
            out.add(new HttpField("X-Forwarded-Prefix", request.target().prefix()));
        }
        out.add(new HttpField(INVOCATION_ID, invocationId));
        // The body is framed anew: the client's framing is its connection's, not the instance's.
        if (request.bodyLength() < 0) {
            out.add(new HttpField(HttpHeader.TRANSFER_ENCODING, "chunked"));
        } else if (request.bodyLength() > 0) {
            out.add(new HttpField(HttpHeader.CONTENT_LENGTH, Long.toString(request.bodyLength())));
        }
        return out;
    }

    /**
     * The headers an instance's answer goes to the client with, in order. Content-Length stays,
     * so that the client sees the length the instance said; the writer frames the rest.
     */
    static List<HttpField> toClient(HttpFields answer, String invocationId, boolean cold) {
        var out = new ArrayList<HttpField>(answer.size() + 2);
        Set<String> listed = connectionListed(answer);
        for (HttpField field : answer) {
            HttpHeader header = field.getHeader();
            if (header != null ? hopByHop(header)
                    : field.is(ANSWER_INVOCATION_ID) || field.is(ANSWER_COLD)) {
                continue;
            }
            if (listed.isEmpty() || !listed.contains(field.getLowerCaseName())) {
                out.add(field);
            }
        }
        out.add(new HttpField(ANSWER_INVOCATION_ID, invocationId));
        out.add(new HttpField(ANSWER_COLD, Boolean.toString(cold)));
        return out;
    }

    /**
     * Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection, so they never cross the
     * gateway. Framing (Content-Length, Transfer-Encoding) is decided by the side that writes.
     */
    private static boolean hopByHop(HttpHeader header) {
        return switch (header) {
            case CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE, TRAILER,
                    TRANSFER_ENCODING, UPGRADE -> true;
            default -> false;
        };
    }

    /** {@code header} is {@code field}'s known name, or null. */
    private static boolean droppedFromRequest(HttpField field, HttpHeader header) {
        if (header == null) {
            return field.getName().regionMatches(true, 0, "X-Forwarded-", 0, 12) || field.is(INVOCATION_ID);
        }
        return hopByHop(header) || switch (header) {
            // Expect: the node answers it (100 Continue as it first reads the body); the instance gets the body unasked
            case CONTENT_LENGTH, EXPECT, FORWARDED, X_FORWARDED_FOR, X_FORWARDED_HOST, X_FORWARDED_PORT,
                    X_FORWARDED_PROTO, X_FORWARDED_SERVER -> true;
            default -> false;
        };
    }

    /**
     * The headers {@code fields} name in their Connection headers, lower case (RFC 9110 7.6.1:
     * they are hop-by-hop too, e.g. HTTP2-Settings); usually none.
     */
    private static Set<String> connectionListed(HttpFields fields) {
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
}
