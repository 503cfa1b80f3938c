package dev.arrow.platform;

import java.util.Objects;

/**
 * The result of a call that may carry an {@link IdempotencyKey}.
 *
 * @param result   what the call made, or, replayed, what the key's first request made
 * @param replayed the key had been used by the same request before: nothing was done again
 */
public record Idempotent<T>(T result, boolean replayed) {

    public Idempotent {
        Objects.requireNonNull(result, "result");
    }

    public static <T> Idempotent<T> done(T result) {
        return new Idempotent<>(result, false);
    }

    public static <T> Idempotent<T> replayed(T result) {
        return new Idempotent<>(result, true);
    }
}
