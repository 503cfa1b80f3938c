package dev.arrow.platform.invocations;

import dev.arrow.platform.InvalidInputException;
import java.util.Objects;
import java.util.Optional;

/**
 * A page of invocation records, newest first.
 *
 * @param arrow  only this arrow's
 * @param status only those in this status
 * @param limit  at most this many (1 to 1000)
 * @param before only those with an id below this one: the cursor for the next page
 */
public record InvocationQuery(Optional<String> arrow, Optional<InvocationStatus> status, int limit, Optional<String> before) {

    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;

    public InvocationQuery {
        Objects.requireNonNull(arrow, "arrow");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(before, "before");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidInputException("limit", "limit must be between 1 and " + MAX_LIMIT);
        }
    }

    public static InvocationQuery all() {
        return new InvocationQuery(Optional.empty(), Optional.empty(), DEFAULT_LIMIT, Optional.empty());
    }
}
