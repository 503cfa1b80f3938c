package dev.arrow.services;

/** The write would add a key to a store at its key-count cap (HTTP 429): delete keys first. */
public final class TooManyKeysException extends ServiceException {

    private final long maxKeys;

    public TooManyKeysException(String message, long maxKeys) {
        super(message);
        this.maxKeys = maxKeys;
    }

    public long maxKeys() {
        return maxKeys;
    }
}
