package dev.arrow.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the sizes, durations and CPU amounts people type on the command line. */
final class Units {

    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmg]?)");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");
    private static final Pattern DECIMAL = Pattern.compile("\\d+(?:\\.\\d+)?|\\.\\d+");

    private Units() {
    }

    /**
     * Bytes, or a number with k, m or g (any case) in binary units: "128m" is 128 MiB, as in
     * docker and ulimit.
     */
    static long parseSize(String text) {
        Matcher matcher = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a size: use bytes, or a number with k, m or g, e.g. 128m");
        }
        int shift = switch (matcher.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        try {
            long number = Long.parseLong(matcher.group(1));
            if (number == 0) {
                throw new IllegalArgumentException("size must be more than 0: '" + text + "'");
            }
            return Math.multiplyExact(number, 1L << shift);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
    }

    /** A number with ms, s, m or h; a plain number is seconds. Decimals are fine: "1.5s". */
    static Duration parseDuration(String text) {
        Matcher matcher = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a duration: use a number with ms, s, m or h, e.g. 10s");
        }
        long nanosPerUnit = switch (matcher.group(2) == null ? "s" : matcher.group(2)) {
            case "ms" -> 1_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 1_000_000_000L;
        };
        try {
            long nanos = new BigDecimal(matcher.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit)).longValueExact();
            if (nanos < 1_000_000) {
                throw new IllegalArgumentException("duration must be at least 1ms: '" + text + "'");
            }
            return Duration.ofNanos(nanos);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too long or too precise");
        }
    }

    /** A decimal number of cores, e.g. 0.5, as thousandths of a core ("millis"). */
    static int parseCpus(String text) {
        if (!DECIMAL.matcher(text.strip()).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a number of CPUs: use a decimal, e.g. 0.5");
        }
        try {
            int millis = new BigDecimal(text.strip()).movePointRight(3).intValueExact();
            if (millis < 1) {
                throw new IllegalArgumentException("CPUs must be at least 0.001: '" + text + "'");
            }
            return millis;
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("CPUs '" + text + "' must be at least 0.001 with at most 3 decimals"
                    + " and not absurdly large");
        }
    }
}
