package dev.arrow.cli.client;

import java.util.Optional;

/**
 * A key's value as the node answered it: the bytes, the revision its {@code ETag} names, and
 * its expiry ({@code X-Arrow-Expires-At}) when it was written with a TTL.
 */
public record KvValue(byte[] value, long revision, Optional<String> expiresAt) {
}
