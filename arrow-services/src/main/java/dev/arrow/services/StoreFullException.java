package dev.arrow.services;

/** The write would take a store past its size cap (HTTP 413): delete something or make the store larger. */
public final class StoreFullException extends ServiceException {

    private final long maxBytes;

    public StoreFullException(String message, long maxBytes) {
        super(message);
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
