package dev.arrow.flows.definition;

import java.util.List;
import java.util.Optional;

/**
 * Which errors a {@code catch} takes: an error matches when its type is one of {@code types}
 * (none: any type) and each other field given equals the error's. A type matches by its full URI
 * or by its last path segment ({@code communication} for the spec's communication errors), so
 * States Language's error names ({@code States.Timeout}) work as types too.
 */
public record ErrorFilter(List<String> types, Optional<Integer> status, Optional<String> instance,
        Optional<String> title, Optional<String> detail) {

    public ErrorFilter {
        types = List.copyOf(types);
    }

    /** Catches every error. */
    public static ErrorFilter any() {
        return new ErrorFilter(List.of(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public boolean matches(FlowError error) {
        boolean typed = types.isEmpty() || types.stream().anyMatch(type -> type.equals(error.type())
                || type.equals(FlowError.shortType(error.type())));
        return typed && status.map(value -> value == error.status()).orElse(true)
                && instance.map(value -> value.equals(error.instance())).orElse(true)
                && title.map(value -> value.equals(error.title())).orElse(true)
                && detail.map(value -> value.equals(error.detail())).orElse(true);
    }
}
