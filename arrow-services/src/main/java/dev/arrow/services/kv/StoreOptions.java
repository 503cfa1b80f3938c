package dev.arrow.services.kv;

import dev.arrow.platform.InvalidInputException;

/**
 * A store's caps, fixed when it is made.
 *
 * @param maxBytes the most its live keys and values may take together, in bytes (keys' UTF-8 plus values)
 * @param maxKeys  the most live keys it may hold
 */
public record StoreOptions(long maxBytes, long maxKeys) {

    /** No store is larger, whatever its creator asks: one node's database holds them all. */
    public static final long MAX_BYTES = 1L << 30;
    public static final long MAX_KEYS = 10_000_000L;
    /** What a store made by its first write gets: 64 MiB and 100,000 keys. */
    public static final StoreOptions DEFAULT = new StoreOptions(64L << 20, 100_000);

    public StoreOptions {
        if (maxBytes < 1 || maxBytes > MAX_BYTES) {
            throw new InvalidInputException("maxBytes", "maxBytes must be between 1 byte and 1 GiB (" + MAX_BYTES
                    + "), not " + maxBytes);
        }
        if (maxKeys < 1 || maxKeys > MAX_KEYS) {
            throw new InvalidInputException("maxKeys", "maxKeys must be between 1 and " + MAX_KEYS + ", not " + maxKeys);
        }
    }
}
