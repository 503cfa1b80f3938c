package dev.arrow.services.queues;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What a receive gives for one message: its queue, its id, and a token drawn at random for that
 * receive (128 bits), which the store keeps with the message until its next receive. Encoded as
 * base64url, opaque to callers; the token makes it unguessable, and a new receive makes the old one
 * stale.
 */
public record ReceiptHandle(String queue, String messageId, String token) {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A fresh token: 32 hex digits of a strong random source. */
    public static String newToken() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((queue + "\n" + messageId + "\n" + token).getBytes(StandardCharsets.UTF_8));
    }

    /** The handle {@code text} encodes; empty when it is not one. */
    public static Optional<ReceiptHandle> decode(String text) {
        if (text == null || text.isEmpty() || text.length() > 512) {
            return Optional.empty();
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split("\n", -1);
            if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].length() != 32) {
                return Optional.empty();
            }
            return Optional.of(new ReceiptHandle(parts[0], parts[1], parts[2]));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
