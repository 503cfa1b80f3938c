package dev.arrow.platform;

/**
 * A request's {@link IdempotencyKey} is held by another request: one still in flight, or, within
 * the key's retention, one that asked for something else.
 */
public final class IdempotencyConflictException extends PlatformException {

    /** Why the key cannot be used now. */
    public enum Conflict {
        /** The key's first request has not finished: retry once it has. */
        IN_FLIGHT,
        /** The key was used for a different request (another body or arrow): a new request needs a new key. */
        REUSED
    }

    private final Conflict conflict;
    private final String key;

    private IdempotencyConflictException(Conflict conflict, String key, String message) {
        super(message);
        this.conflict = conflict;
        this.key = key;
    }

    public static IdempotencyConflictException inFlight(IdempotencyKey key) {
        return new IdempotencyConflictException(Conflict.IN_FLIGHT, key.key(), "the request with "
                + IdempotencyKey.FIELD + " '" + key.key() + "' is still in flight: retry once it has finished");
    }

    public static IdempotencyConflictException reused(IdempotencyKey key) {
        return new IdempotencyConflictException(Conflict.REUSED, key.key(), IdempotencyKey.FIELD + " '" + key.key()
                + "' was used in the last " + IdempotencyKey.RETENTION.toHours() + " h for a different request"
                + " (another body or arrow): use a new key for a new request");
    }

    public Conflict conflict() {
        return conflict;
    }

    public String key() {
        return key;
    }
}
