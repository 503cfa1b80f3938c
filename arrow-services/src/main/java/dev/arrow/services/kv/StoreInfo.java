package dev.arrow.services.kv;

import java.time.Instant;

/**
 * A store as it is now.
 *
 * @param bytes    what its live keys and values take (the measure of {@link StoreOptions#maxBytes()})
 * @param keys     how many live keys it holds
 * @param revision the last revision it gave a write (0 before the first): its sequence
 */
public record StoreInfo(String name, StoreOptions options, long bytes, long keys, long revision, Instant createdAt) {
}
