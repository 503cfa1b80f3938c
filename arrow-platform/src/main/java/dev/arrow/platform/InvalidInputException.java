package dev.arrow.platform;

/**
 * A request the platform refuses because of what it says: a bad name, a size out of range, an
 * unknown field. {@link #field()} names the offending part in the request's own terms (e.g.
 * {@code limits.memory}), so the API can answer 400 with it and a user knows what to fix.
 */
public final class InvalidInputException extends PlatformException {

    private final String field;

    public InvalidInputException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
