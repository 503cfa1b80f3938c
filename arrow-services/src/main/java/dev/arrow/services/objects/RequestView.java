package dev.arrow.services.objects;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the signature check reads of a request, as it came off the wire: the method, the path as
 * sent (still percent-encoded, not normalized), the query string as sent (without {@code ?}, or
 * empty), and the header fields, each field's value as its own entry (not split at commas). Header
 * names are looked up without regard to case; the {@code host} header must be there (for HTTP/2,
 * the listener passes {@code :authority} as {@code host}).
 */
public record RequestView(String method, String rawPath, String rawQuery, Map<String, List<String>> headers) {

    public RequestView {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(rawPath, "rawPath");
        rawQuery = rawQuery == null ? "" : rawQuery;
        var copy = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.computeIfAbsent(name, key -> new ArrayList<>()).addAll(values));
        copy.replaceAll((name, values) -> List.copyOf(values));
        headers = Collections.unmodifiableSortedMap(copy);
    }

    /** Every value of the header, in the order they came; empty when absent. */
    public List<String> values(String name) {
        return headers.getOrDefault(name, List.of());
    }

    public Optional<String> first(String name) {
        List<String> values = values(name);
        return values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }
}
