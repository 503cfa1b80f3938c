package dev.arrow.services.objects;

import dev.arrow.services.ObjectException;
import java.util.Optional;

/**
 * One range of an HTTP {@code Range} header as S3 takes it: {@code bytes=FIRST-LAST},
 * {@code bytes=FIRST-} or {@code bytes=-SUFFIX}. A header S3 ignores (another unit, several
 * ranges, bad syntax) parses to empty: the whole object is the answer.
 *
 * @param first  the first byte, or -1 for a suffix range
 * @param last   the last byte (inclusive), or -1 for "to the end"; for a suffix range, its length
 */
public record ByteRange(long first, long last) {

    /** The range against an object of {@code size} bytes. */
    public record Resolved(long offset, long length, long size) {
        /** The {@code Content-Range} header of a 206 answer. */
        public String contentRange() {
            return "bytes " + offset + "-" + (offset + length - 1) + "/" + size;
        }
    }

    public static Optional<ByteRange> parse(String header) {
        if (header == null) {
            return Optional.empty();
        }
        String value = header.strip();
        if (!value.regionMatches(true, 0, "bytes=", 0, 6)) {
            return Optional.empty();
        }
        String spec = value.substring(6).strip();
        int dash = spec.indexOf('-');
        if (dash < 0 || spec.indexOf(',') >= 0) {
            return Optional.empty();
        }
        String from = spec.substring(0, dash).strip();
        String to = spec.substring(dash + 1).strip();
        try {
            if (from.isEmpty()) {
                long suffix = digits(to);
                return suffix < 0 ? Optional.empty() : Optional.of(new ByteRange(-1, suffix));
            }
            long first = digits(from);
            if (first < 0) {
                return Optional.empty();
            }
            if (to.isEmpty()) {
                return Optional.of(new ByteRange(first, -1));
            }
            long last = digits(to);
            return last < first ? Optional.empty() : Optional.of(new ByteRange(first, last));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static long digits(String text) {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(text);
    }

    /**
     * The bytes this range takes of an object of {@code size} bytes.
     *
     * @throws ObjectException {@link ObjectException.Kind#INVALID_RANGE} when it takes none
     */
    public Resolved resolve(long size) {
        if (first < 0) {
            if (last == 0 || size == 0) {
                throw unsatisfiable(size);
            }
            long length = Math.min(last, size);
            return new Resolved(size - length, length, size);
        }
        if (first >= size) {
            throw unsatisfiable(size);
        }
        long end = last < 0 ? size - 1 : Math.min(last, size - 1);
        return new Resolved(first, end - first + 1, size);
    }

    private ObjectException unsatisfiable(long size) {
        return new ObjectException(ObjectException.Kind.INVALID_RANGE,
                "The requested range is not satisfiable: the object has " + size + " bytes");
    }

    @Override
    public String toString() {
        return "bytes=" + (first < 0 ? "-" + last : first + "-" + (last < 0 ? "" : Long.toString(last)));
    }
}
