package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** How the node commands show sizes, durations, times and commands to people. */
final class Formats {

    private static final String[] SIZE_UNITS = {"KiB", "MiB", "GiB", "TiB"};
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    private Formats() {
    }

    /** Bytes: "512B", "3.4KiB", "128MiB" (binary units, one decimal unless whole). */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return oneDecimal(value) + SIZE_UNITS[unit];
    }

    /** Milliseconds: "0.4ms", "12.4ms", "13ms", "1.25s", "30s", "2m5s", "1h30m". */
    static String duration(double millis) {
        if (millis < 1000) {
            return oneDecimal(millis) + "ms";
        }
        if (millis < 60_000) {
            return new BigDecimal(millis / 1000).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString()
                    + "s";
        }
        long seconds = Math.round(millis / 1000);
        if (seconds < 3600) {
            return seconds / 60 + "m" + (seconds % 60 == 0 ? "" : seconds % 60 + "s");
        }
        long minutes = seconds / 60;
        return minutes / 60 + "h" + (minutes % 60 == 0 ? "" : minutes % 60 + "m");
    }

    /** A JSON number of milliseconds, or "-" when absent. */
    static String duration(JsonNode millis) {
        return millis.isNumber() ? duration(millis.asDouble()) : "-";
    }

    /** "5s ago", "3m ago", "2h ago", "4d ago"; a time in the future (clock skew) is "just now". */
    static String ago(Instant then, Instant now) {
        long seconds = Duration.between(then, now).toSeconds();
        if (seconds < 1) {
            return "just now";
        }
        if (seconds < 60) {
            return seconds + "s ago";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m ago";
        }
        if (seconds < 86_400) {
            return seconds / 3600 + "h ago";
        }
        return seconds / 86_400 + "d ago";
    }

    /** An RFC 3339 time from the node, relative to now; shown as sent if it does not parse. */
    static String ago(JsonNode time, Instant now) {
        if (!time.isTextual()) {
            return "-";
        }
        try {
            return ago(Instant.parse(time.asText()), now);
        } catch (DateTimeParseException e) {
            return time.asText();
        }
    }

    /** A time ahead of now from the node: "in 30s", "in 5m", "in 2h", "in 4d"; one behind it is "expired". */
    static String in(JsonNode time, Instant now) {
        if (!time.isTextual()) {
            return "-";
        }
        Instant then;
        try {
            then = Instant.parse(time.asText());
        } catch (DateTimeParseException e) {
            return time.asText();
        }
        long seconds = Duration.between(now, then).toSeconds();
        if (!then.isAfter(now)) {
            return "expired";
        }
        if (seconds < 60) {
            return "in " + Math.max(1, seconds) + "s";
        }
        if (seconds < 3600) {
            return "in " + seconds / 60 + "m";
        }
        if (seconds < 86_400) {
            return "in " + seconds / 3600 + "h";
        }
        return "in " + seconds / 86_400 + "d";
    }

    /** An argv as one could type it into a shell: arguments quoted only when they need it. */
    static String command(JsonNode argv) {
        List<String> words = new ArrayList<>();
        argv.forEach(arg -> words.add(shellWord(arg.asText())));
        return String.join(" ", words);
    }

    static String shellWord(String word) {
        if (SHELL_SAFE.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** "sha256:0123456789ab…": enough of a digest to tell bundles apart. */
    static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        int keep = colon + 1 + 12;
        return digest.length() > keep + 1 ? digest.substring(0, keep) + "…" : digest;
    }

    private static String oneDecimal(double value) {
        String text = String.format(Locale.ROOT, "%.1f", value);
        return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
    }
}
