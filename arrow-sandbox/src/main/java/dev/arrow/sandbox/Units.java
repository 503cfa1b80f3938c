package dev.arrow.sandbox;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one grammar of the sizes, durations and CPU amounts people write: on the command line, in
 * a manifest, in the REST API. It lives beside {@link Limits}, which it feeds, so that every
 * layer above parses them alike. The native helper's {@code run} mode parses the same grammar
 * in C, and a test holds the two to the same answers.
 *
 * <ul>
 *   <li>size: bytes, or a whole number with {@code k}, {@code m}, {@code g} or {@code t} in binary
 *       units ({@code 128m} is 128 MiB, as in docker and ulimit), any case, with an optional
 *       {@code i} and {@code b} after the unit ({@code 128Mi}, {@code 128MiB}) and optional blanks
 *       before it; more than 0.
 *   <li>duration: a number, decimals allowed, with {@code ms}, {@code s}, {@code m} or {@code h};
 *       a plain number is seconds; 0 or at least 1 ms, and whole nanoseconds.
 *   <li>CPUs: a decimal number of cores, in thousandths ("millis"), 0.001 to 1000.
 * </ul>
 */
public final class Units {

    private static final Pattern SIZE = Pattern.compile("(\\d+)[ \\t]*(?:([kmgt])(i?))?(b?)");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)[ \\t]*(ms|s|m|h)?");
    private static final Pattern DECIMAL = Pattern.compile("\\d+(?:\\.\\d+)?|\\.\\d+");
    private static final BigDecimal MAX_CPU_MILLIS = BigDecimal.valueOf(1_000_000L);

    private Units() {
    }

    /**
     * A size in bytes.
     *
     * @throws IllegalArgumentException in the user's words, with an example
     */
    public static long parseSize(String text) {
        Matcher matcher = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size: use bytes, or a number with k, m, g"
                    + " or t, e.g. 128m (binary: 128m is 128 MiB)");
        }
        int shift = switch (matcher.group(2) == null ? "" : matcher.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        try {
            long number = Long.parseLong(matcher.group(1));
            if (number == 0) {
                throw new IllegalArgumentException("a size must be more than 0, not '" + text + "'");
            }
            return Math.multiplyExact(number, 1L << shift);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("the size '" + text + "' is too large");
        }
    }

    /**
     * A duration; a plain number is seconds.
     *
     * @throws IllegalArgumentException in the user's words, with an example
     */
    public static Duration parseDuration(String text) {
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
            // Zero is a duration (a keep-alive of 0s); what must be longer says so where it is used.
            if (nanos > 0 && nanos < 1_000_000) {
                throw new IllegalArgumentException("a duration must be 0 or at least 1ms, not '" + text + "'");
            }
            return Duration.ofNanos(nanos);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("the duration '" + text + "' is too long or too precise");
        }
    }

    /**
     * A decimal number of cores, as thousandths of a core.
     *
     * @throws IllegalArgumentException in the user's words, with an example
     */
    public static int parseCpus(String text) {
        if (!DECIMAL.matcher(text.strip()).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a number of CPUs: use a decimal, e.g. 0.5");
        }
        return cpuMillis(new BigDecimal(text.strip()), text.strip());
    }

    /**
     * A number of cores given as a number (the REST API's {@code limits.cpus}), as thousandths of
     * a core, by the same rules as {@link #parseCpus}.
     */
    public static int cpuMillis(BigDecimal cores) {
        return cpuMillis(cores, cores.toPlainString());
    }

    private static int cpuMillis(BigDecimal cores, String text) {
        BigDecimal millis = cores.movePointRight(3);
        if (millis.compareTo(BigDecimal.ONE) < 0) {
            throw new IllegalArgumentException("CPUs must be at least 0.001, not '" + text + "'");
        }
        if (millis.compareTo(MAX_CPU_MILLIS) > 0 || millis.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("CPUs must be 0.001 to 1000 with at most 3 decimals, not '" + text + "'");
        }
        return millis.intValue();
    }
}
