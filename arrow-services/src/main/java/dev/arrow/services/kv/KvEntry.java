package dev.arrow.services.kv;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * A live key with its value. The value array is the entry's own: not copied on the way out,
 * since a value is up to 1 MiB and read once.
 */
public record KvEntry(String key, byte[] value, long revision, Instant modifiedAt, Optional<Instant> expiresAt) {

    public KeyInfo info() {
        return new KeyInfo(key, revision, value.length, modifiedAt, expiresAt);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KvEntry entry && key.equals(entry.key) && Arrays.equals(value, entry.value)
                && revision == entry.revision && modifiedAt.equals(entry.modifiedAt) && expiresAt.equals(entry.expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), revision, modifiedAt, expiresAt);
    }

    @Override
    public String toString() {
        String shown = value.length <= 32 ? HexFormat.of().formatHex(value) : value.length + " bytes";
        return "KvEntry[key=" + key + ", value=" + shown + ", revision=" + revision + ", modifiedAt=" + modifiedAt
                + ", expiresAt=" + expiresAt + "]";
    }
}
