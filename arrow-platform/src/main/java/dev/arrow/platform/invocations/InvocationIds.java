package dev.arrow.platform.invocations;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Invocation ids: 26 characters of Crockford base32, milliseconds first (like a ULID), so ids sort
 * by time and a page cursor is just an id. The random part is a counter seeded randomly per
 * millisecond, so ids from one node never collide and stay ordered within a millisecond.
 */
public final class InvocationIds {

    private static final String ALPHABET_TEXT = "0123456789abcdefghjkmnpqrstvwxyz";
    private static final char[] ALPHABET = ALPHABET_TEXT.toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Clock clock;
    private final AtomicLong last = new AtomicLong(); // (millis << 20) | sequence, for monotonicity
    private final long nodeBits = RANDOM.nextLong() & 0xFFFFFFFFFFL; // 40 bits

    public InvocationIds(Clock clock) {
        this.clock = clock;
    }

    public String next() {
        long millis = clock.millis();
        long stamp = last.updateAndGet(previous -> {
            long candidate = millis << 20;
            return candidate > previous ? candidate : previous + 1;
        });
        long time = stamp >>> 20;
        long sequence = stamp & 0xFFFFF;
        char[] out = new char[26];
        encode(time, out, 0, 10);             // 50 bits of milliseconds
        encode(sequence, out, 10, 4);          // 20 bits
        encode(nodeBits, out, 14, 8);          // 40 bits
        encode(RANDOM.nextInt() & 0xFFFFF, out, 22, 4);
        return new String(out);
    }

    private static void encode(long value, char[] out, int offset, int chars) {
        for (int i = chars - 1; i >= 0; i--) {
            out[offset + i] = ALPHABET[(int) (value & 31)];
            value >>>= 5;
        }
    }

    /** Whether {@code id} could be one of ours: checked before it reaches a store. */
    public static boolean isWellFormed(String id) {
        if (id == null || id.length() != 26) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (ALPHABET_TEXT.indexOf(id.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }
}
