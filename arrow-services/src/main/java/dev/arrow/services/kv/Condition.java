package dev.arrow.services.kv;

import dev.arrow.platform.InvalidInputException;

/**
 * What must hold of a key for a write to go through, checked in the write's transaction:
 * HTTP's {@code If-None-Match: *} and {@code If-Match}, NATS KV's create and update.
 */
public sealed interface Condition {

    /** No condition. */
    Condition ANY = new Any();
    /** The key must be absent. */
    Condition ABSENT = new Absent();

    /** No condition: the write goes through whatever the key holds. */
    record Any() implements Condition {
    }

    /** The key must be absent (never written, deleted or expired): a create. */
    record Absent() implements Condition {
    }

    /** The key must be at this revision: a compare-and-set on what the caller read. */
    record AtRevision(long revision) implements Condition {
        public AtRevision {
            if (revision < 1) {
                throw new InvalidInputException("revision", "a revision is a whole number from 1, not " + revision);
            }
        }
    }

    /** Whether a key at {@code current} (0: absent) meets this condition. */
    default boolean holdsFor(long current) {
        return switch (this) {
            case Any _ -> true;
            case Absent _ -> current == 0;
            case AtRevision at -> current == at.revision();
        };
    }
}
