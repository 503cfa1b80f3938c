package dev.arrow.cli;

import dev.arrow.cli.client.ApiException;
import java.util.Set;

/**
 * The exit statuses of the commands that talk to a node, one table for all of them (the footer of
 * each command's help and arrow-cli/README.md).
 */
final class ExitStatus {

    static final int OK = 0;
    /** {@code arrow invoke}: the program exited non-zero, was killed, hit a limit or did not start. */
    static final int INVOCATION_FAILED = 1;
    /**
     * The node refused the request: 400, 405, 409, 412 (a KV condition), 413, 415, 429 of a KV store
     * at its key cap or a full queue, and other 4xx.
     */
    static final int REJECTED = 2;
    /** 404: no such arrow, revision, invocation, KV store, key, queue, access key, bucket or object. */
    static final int NOT_FOUND = 3;
    /** No token found, or the node refused it (401, 403). */
    static final int UNAUTHORIZED = 4;
    /** 429: the node or the arrow is at capacity; retry later. */
    static final int OVERLOADED = 5;
    /** The node failed (5xx) or answered something this CLI does not understand. */
    static final int NODE_ERROR = 6;
    /** Usage errors, local problems (manifest, code, files) and an unreachable node. */
    static final int USAGE = ArrowCli.USAGE_ERROR;

    static final String HEADING = "%nExit status:%n";
    static final String[] FOOTER = {
        "  0    success",
        "  1    invoke: the invocation failed (non-zero exit, signal, out of",
        "       memory, timeout, pids limit, failed to start, output too large)",
        "  2    the node rejected the request (invalid input or another 4xx:",
        "       a failed --if-revision or --create-only, a full kv store or",
        "       queue, a stale receipt handle, a bucket not empty)",
        "  3    not found: no such arrow, revision, invocation, kv store,",
        "       key, queue, access key, bucket or object (404)",
        "  4    no token found, or the node refused it (401/403)",
        "  5    the node is overloaded (429): retry later",
        "  6    the node failed (5xx) or gave an unexpected answer",
        "  125  usage error, bad manifest or code, or the node cannot be reached"
    };

    /** The error codes that are outcomes of a failed invocation rather than errors of the request. */
    static final Set<String> INVOCATION_OUTCOMES = Set.of("exited", "signaled", "out_of_memory", "timed_out",
            "pids_exhausted", "failed_to_start", "output_too_large");

    private ExitStatus() {
    }

    static boolean isInvocationFailure(ApiException e) {
        return INVOCATION_OUTCOMES.contains(e.code())
                || ((e.status() == 502 || e.status() == 504) && e.error().has("invocation"));
    }

    static int of(ApiException e) {
        int status = e.status();
        if (status == 401 || status == 403) {
            return UNAUTHORIZED;
        }
        if (status == 404) {
            return NOT_FOUND;
        }
        // A KV store at its key cap and a full queue answer 429 too, but waiting does not help: only
        // deleting keys or messages does.
        if (status == 429 && !"too_many_keys".equals(e.code()) && !"queue_full".equals(e.code())) {
            return OVERLOADED;
        }
        if (isInvocationFailure(e)) {
            return INVOCATION_FAILED;
        }
        if (status >= 400 && status < 500) {
            return REJECTED;
        }
        return NODE_ERROR;
    }

    /** One line for {@code arrow: ...}. */
    static String describe(ApiException e) {
        String message = e.message();
        String field = e.field().filter(name -> !message.contains(name)).map(name -> " (" + name + ")").orElse("");
        return switch (of(e)) {
            case UNAUTHORIZED -> "the node refused the token: " + message
                    + " (check --token, ARROW_TOKEN or $ARROW_HOME/token)";
            case OVERLOADED -> "the node is overloaded: " + message
                    + (e.retryAfterSeconds().isPresent() ? "; retry in " + e.retryAfterSeconds().getAsLong() + "s" : "");
            case NODE_ERROR -> "the node failed: " + message + field + " (HTTP " + e.status() + ")";
            default -> message + field;
        };
    }
}
