package dev.arrow.services.kv;

import java.time.Instant;
import java.util.Optional;

/**
 * A live key as a listing shows it, without its value.
 *
 * @param size       its value's length in bytes
 * @param modifiedAt when this revision was written
 * @param expiresAt  when it stops being there, if it was written with a TTL
 */
public record KeyInfo(String key, long revision, long size, Instant modifiedAt, Optional<Instant> expiresAt) {
}
