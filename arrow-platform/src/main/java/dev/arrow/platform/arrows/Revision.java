package dev.arrow.platform.arrows;

import java.time.Instant;
import java.util.Objects;

/** One immutable deploy of an arrow. Numbers start at 1 and grow by one per deploy. */
public record Revision(String arrow, int number, ArrowSpec spec, Instant createdAt) {

    public Revision {
        Objects.requireNonNull(arrow, "arrow");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(createdAt, "createdAt");
        if (number < 1) {
            throw new IllegalArgumentException("revision numbers start at 1: " + number);
        }
    }
}
