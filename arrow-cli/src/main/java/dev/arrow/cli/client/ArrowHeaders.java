package dev.arrow.cli.client;

import java.net.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code X-Arrow-*} headers of an invocation answer, spelled and ordered as in the API docs. */
public final class ArrowHeaders {

    public static final String INVOCATION_ID = "X-Arrow-Invocation-Id";

    private static final List<String> KNOWN = List.of(INVOCATION_ID, "X-Arrow-Revision", "X-Arrow-Cold",
            "X-Arrow-Init-Ms", "X-Arrow-Duration-Ms", "X-Arrow-Billed-Ms");

    private ArrowHeaders() {
    }

    /** Known headers first in their documented order, then any other X-Arrow-* header by name. */
    public static Map<String, String> of(HttpHeaders headers) {
        var result = new LinkedHashMap<String, String>();
        for (String name : KNOWN) {
            headers.firstValue(name).ifPresent(value -> result.put(name, value));
        }
        headers.map().keySet().stream()
                .filter(name -> name.toLowerCase(Locale.ROOT).startsWith("x-arrow-"))
                .filter(name -> KNOWN.stream().noneMatch(known -> known.equalsIgnoreCase(name)))
                .sorted()
                .forEach(name -> result.put(name, headers.firstValue(name).orElse("")));
        return result;
    }
}
