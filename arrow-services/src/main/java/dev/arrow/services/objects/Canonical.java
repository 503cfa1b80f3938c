package dev.arrow.services.objects;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a canonical request as S3 builds them: the path and the query are decoded and
 * encoded again with AWS's rules (so {@code $} and {@code %24} sign alike, as S3 does), the path
 * once per segment and never normalized.
 */
final class Canonical {

    /** A path or query that is not well-formed percent-encoding. */
    static final class MalformedUri extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedUri() {
            super(null, null, false, false);
        }
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Canonical() {
    }

    static String uri(String rawPath) throws MalformedUri {
        if (rawPath.isEmpty()) {
            return "/";
        }
        var out = new StringBuilder(rawPath.length() + 16);
        int start = 0;
        while (true) {
            int slash = rawPath.indexOf('/', start);
            int end = slash < 0 ? rawPath.length() : slash;
            encode(decode(rawPath.substring(start, end)), out);
            if (slash < 0) {
                return out.toString();
            }
            out.append('/');
            start = slash + 1;
        }
    }

    /** One query parameter, its name and value decoded to text. */
    record Parameter(String name, String value, byte[] nameBytes, byte[] valueBytes) {
    }

    /** The query's parameters in order, decoded; {@code +} is a plus (clients that mean a space send %20). */
    static List<Parameter> parameters(String rawQuery) throws MalformedUri {
        List<Parameter> parameters = new ArrayList<>();
        if (rawQuery.isEmpty()) {
            return parameters;
        }
        for (String part : rawQuery.split("&", -1)) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            byte[] name = decode(eq < 0 ? part : part.substring(0, eq));
            byte[] value = decode(eq < 0 ? "" : part.substring(eq + 1));
            parameters.add(new Parameter(new String(name, StandardCharsets.UTF_8),
                    new String(value, StandardCharsets.UTF_8), name, value));
        }
        return parameters;
    }

    /** Decoded names to their values, in order of first appearance. */
    static Map<String, List<String>> parameterMap(List<Parameter> parameters) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (Parameter parameter : parameters) {
            map.computeIfAbsent(parameter.name(), name -> new ArrayList<>()).add(parameter.value());
        }
        return map;
    }

    /**
     * Names and values encoded, sorted by name then value, {@code name=value} joined by {@code &}.
     * A parameter without a name is left out, as the AWS SDKs do; so is {@code excluded} (the
     * signature of a presigned URL).
     */
    static String query(List<Parameter> parameters, String excluded) {
        List<String[]> pairs = new ArrayList<>(parameters.size());
        for (Parameter parameter : parameters) {
            if (parameter.nameBytes().length == 0 || parameter.name().equals(excluded)) {
                continue;
            }
            pairs.add(new String[] {encode(parameter.nameBytes()), encode(parameter.valueBytes())});
        }
        pairs.sort(Comparator.<String[], String>comparing(pair -> pair[0]).thenComparing(pair -> pair[1]));
        var out = new StringBuilder();
        for (String[] pair : pairs) {
            if (!out.isEmpty()) {
                out.append('&');
            }
            out.append(pair[0]).append('=').append(pair[1]);
        }
        return out.toString();
    }

    /** The value as SigV4 signs it: trimmed, each run of white space one space. */
    static void appendValue(String value, StringBuilder out) {
        boolean pendingSpace = false;
        boolean started = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000b') {
                pendingSpace = started;
            } else {
                if (pendingSpace) {
                    out.append(' ');
                    pendingSpace = false;
                }
                out.append(c);
                started = true;
            }
        }
    }

    static String encode(byte[] bytes) {
        var out = new StringBuilder(bytes.length + 8);
        encode(bytes, out);
        return out.toString();
    }

    /** AWS's URI encoding: unreserved characters kept, every other byte as %XX in upper case. */
    static void encode(byte[] bytes, StringBuilder out) {
        for (byte b : bytes) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >>> 4]).append(HEX[c & 0xf]);
            }
        }
    }

    /** The value of an ASCII hex digit, else -1 (Character.digit would take other scripts' digits). */
    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** Percent-decoding to bytes; characters outside ASCII count as their UTF-8. */
    static byte[] decode(String text) throws MalformedUri {
        if (text.indexOf('%') < 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        var out = new ByteArrayOutputStream(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length()) {
                    throw new MalformedUri();
                }
                int high = hexDigit(text.charAt(i + 1));
                int low = hexDigit(text.charAt(i + 2));
                if (high < 0 || low < 0) {
                    throw new MalformedUri();
                }
                out.write(high << 4 | low);
                i += 3;
            } else {
                int next = i + 1;
                while (next < text.length() && text.charAt(next) != '%') {
                    next++;
                }
                out.writeBytes(text.substring(i, next).getBytes(StandardCharsets.UTF_8));
                i = next;
            }
        }
        return out.toByteArray();
    }
}
