package dev.arrow.server;

import dev.arrow.platform.access.SandboxGrant;
import java.util.Optional;
import java.util.Set;

/**
 * What a sandbox's token may do on the node's socket: the key-value stores, queues and buckets its
 * arrow binds, through the routes that read and write their contents, and nothing else (no
 * listing of all stores, no deploys or invocations, no deleting or purging a whole store or queue).
 * Judged on the decoded path the router matches, so that both see the same names.
 */
final class SandboxAuthorization {

    private static final Set<String> QUEUE_ACTIONS = Set.of("messages", "receive", "delete", "visibility");

    private SandboxAuthorization() {
    }

    /** Returns if {@code grant} allows {@code method path}; throws a 403 naming what it does not bind otherwise. */
    static void check(String method, String path, SandboxGrant grant) {
        if ("POST".equals(method) && "/v1/events".equals(path)) {
            if (grant.bindings().publishEvents()) {
                return;
            }
            throw forbidden("this arrow does not bind events: add events: publish to its bindings", "events");
        }
        String[] parts = path == null ? new String[0] : path.split("/", -1);
        if (parts.length >= 4 && parts[0].isEmpty() && parts[1].equals("v1") && !parts[3].isEmpty()) {
            String name = parts[3];
            switch (parts[2]) {
                case "kv" -> {
                    if (!grant.bindings().bindsKv(name)) {
                        throw forbidden("this arrow does not bind kv store '" + shorten(name) + "'", "store");
                    }
                    if ((parts.length == 4 && isRead(method)) || (parts.length >= 5 && parts[4].equals("keys"))) {
                        return;
                    }
                }
                case "queues" -> {
                    if (!grant.bindings().bindsQueue(name)) {
                        throw forbidden("this arrow does not bind queue '" + shorten(name) + "'", "queue");
                    }
                    if ((parts.length == 4 && isRead(method)) || (parts.length == 5 && QUEUE_ACTIONS.contains(parts[4]))) {
                        return;
                    }
                }
                case "buckets" -> {
                    if (!grant.bindings().bindsBucket(name)) {
                        throw forbidden("this arrow does not bind bucket '" + shorten(name) + "'", "bucket");
                    }
                    if (parts.length >= 5 && parts[4].equals("objects")) {
                        return;
                    }
                }
                default -> {
                    // below
                }
            }
        }
        throw forbidden("a sandbox's token reaches only the contents of the kv stores, queues and buckets its arrow"
                + " binds, not " + method + " " + shorten(path), null);
    }

    private static boolean isRead(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    private static ApiError forbidden(String message, String field) {
        return new ApiError(403, "forbidden", message, Optional.ofNullable(field));
    }

    private static String shorten(String text) {
        if (text == null) {
            return "";
        }
        String printable = text.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return printable.length() <= 80 ? printable : printable.substring(0, 80) + "...";
    }
}
