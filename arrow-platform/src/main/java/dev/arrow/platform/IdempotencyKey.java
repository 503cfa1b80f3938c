package dev.arrow.platform;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A client's key for having a request done at most once (the API's {@code Idempotency-Key}
 * header): for {@link #RETENTION} after its first use, a request with the same key, to the same
 * kind of call and arrow, gets the first request's result instead of being done again.
 *
 * @param key         the client's key: 1 to {@value #MAX_LENGTH} printable ASCII characters, opaque
 * @param fingerprint what the request under it asked for (SHA-256 of the arrow's name and the body,
 *                    hex): the same key with another fingerprint is a new request under an old key
 */
public record IdempotencyKey(String key, String fingerprint) {

    /** The request's part a bad key is named by. */
    public static final String FIELD = "Idempotency-Key";
    public static final int MAX_LENGTH = 255;
    /** How long a key is remembered after its first use. */
    public static final Duration RETENTION = Duration.ofHours(24);

    public IdempotencyKey {
        requireValid(key);
        Objects.requireNonNull(fingerprint, "fingerprint");
    }

    /** The key of a request to {@code arrow} with {@code body}. */
    public static IdempotencyKey of(String key, String arrow, byte[] body) {
        requireValid(key);
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        sha256.update(arrow.getBytes(StandardCharsets.UTF_8));
        sha256.update((byte) 0); // so that no name and body run together into another's
        sha256.update(body);
        return new IdempotencyKey(key, HexFormat.of().formatHex(sha256.digest()));
    }

    /**
     * Checks a key as a client sent it.
     *
     * @throws InvalidInputException naming {@value #FIELD}, when it is empty, too long, or has a
     *                               character outside printable ASCII
     */
    public static String requireValid(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidInputException(FIELD, FIELD + " must not be empty");
        }
        if (key.length() > MAX_LENGTH) {
            throw new InvalidInputException(FIELD, FIELD + " must be at most " + MAX_LENGTH + " characters, not "
                    + key.length());
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new InvalidInputException(FIELD, FIELD + " must be printable ASCII: character " + (i + 1)
                        + " is U+" + HexFormat.of().withUpperCase().toHexDigits(c));
            }
        }
        return key;
    }

    /** Whether {@code use} was made by this same request (a retry), not by another one under this key. */
    public boolean sameRequestAs(Use<?> use) {
        return fingerprint.equals(use.fingerprint());
    }

    /** Whether {@code use} is past {@link #RETENTION} at {@code now}: the key is free again. */
    public static boolean expired(Use<?> use, Instant now) {
        return use.at().isBefore(now.minus(RETENTION));
    }

    /**
     * A key's first use, as a store keeps it.
     *
     * @param fingerprint the fingerprint of the request that used it
     * @param at          when
     * @param result      what it made: an invocation's id, a revision's number
     */
    public record Use<T>(String fingerprint, Instant at, T result) {

        public Use {
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(result, "result");
        }
    }
}
