package dev.arrow.services;

import dev.arrow.platform.InvalidInputException;

/** The rule for names users choose inside a service, KV keys and object keys alike. */
public final class KeyText {

    private KeyText() {
    }

    /**
     * Valid UTF-8 (no lone surrogates), no control characters, at most {@code maxBytes} bytes.
     *
     * @throws InvalidInputException naming {@code field}
     */
    public static void check(String key, String field, int maxBytes) {
        long bytes = 0;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidInputException(field, "a " + field + " must not hold control characters (U+0000 to"
                        + " U+001F, U+007F): found U+" + String.format("%04X", (int) c) + " at character " + i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidInputException(field, "a " + field + " must be valid UTF-8: it holds a lone surrogate"
                        + " at character " + i);
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        if (bytes > maxBytes) {
            throw new InvalidInputException(field, "a " + field + " is at most " + maxBytes + " bytes of UTF-8, not " + bytes);
        }
    }
}
