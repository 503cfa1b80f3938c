package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import java.util.regex.Pattern;

/** Arrow names follow DNS label rules (RFC 1123), so an arrow can become a host name or a URL path part. */
public final class ArrowName {

    /** What a valid name matches. */
    static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private ArrowName() {
    }

    /** Returns the name if it is valid; else throws naming {@code field}. */
    public static String require(String name, String field) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException(field, "an arrow name is required");
        }
        if (!isValid(name)) {
            throw new InvalidInputException(field, "'" + shorten(name) + "' is not a valid arrow name: use 1 to 63"
                    + " lowercase letters, digits and '-', starting and ending with a letter or digit");
        }
        return name;
    }

    /** {@link #LABEL}'s test without a matcher: the gateway asks it of every request. */
    public static boolean isValid(String name) {
        if (name == null || name.isEmpty() || name.length() > 63) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean alphanumeric = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            boolean inner = c == '-' && i > 0 && i < name.length() - 1;
            if (!alphanumeric && !inner) {
                return false;
            }
        }
        return true;
    }

    private static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
