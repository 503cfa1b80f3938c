package dev.arrow.events.filters;

import java.util.List;
import java.util.Map;

/**
 * A test of a CloudEvent's attributes (extensions included) in Knative Eventing's dialect. An
 * attribute an event does not have matches no {@code exact}, {@code prefix} or {@code suffix}.
 */
public sealed interface Filter {

    /** True when the event with these attributes (names lower case, values as strings) passes. */
    boolean test(Map<String, String> attributes);

    /** Every attribute named has exactly this value. */
    record Exact(Map<String, String> values) implements Filter {
        public Exact {
            values = Map.copyOf(values);
        }

        @Override
        public boolean test(Map<String, String> attributes) {
            return values.entrySet().stream().allMatch(e -> e.getValue().equals(attributes.get(e.getKey())));
        }
    }

    /** Every attribute named starts with this value. */
    record Prefix(Map<String, String> values) implements Filter {
        public Prefix {
            values = Map.copyOf(values);
        }

        @Override
        public boolean test(Map<String, String> attributes) {
            return values.entrySet().stream().allMatch(e -> {
                String value = attributes.get(e.getKey());
                return value != null && value.startsWith(e.getValue());
            });
        }
    }

    /** Every attribute named ends with this value. */
    record Suffix(Map<String, String> values) implements Filter {
        public Suffix {
            values = Map.copyOf(values);
        }

        @Override
        public boolean test(Map<String, String> attributes) {
            return values.entrySet().stream().allMatch(e -> {
                String value = attributes.get(e.getKey());
                return value != null && value.endsWith(e.getValue());
            });
        }
    }

    /** Every filter passes (none given: always). */
    record All(List<Filter> filters) implements Filter {
        public All {
            filters = List.copyOf(filters);
        }

        @Override
        public boolean test(Map<String, String> attributes) {
            return filters.stream().allMatch(f -> f.test(attributes));
        }
    }

    /** At least one filter passes. */
    record Any(List<Filter> filters) implements Filter {
        public Any {
            filters = List.copyOf(filters);
        }

        @Override
        public boolean test(Map<String, String> attributes) {
            return filters.stream().anyMatch(f -> f.test(attributes));
        }
    }

    /** The filter does not pass. */
    record Not(Filter filter) implements Filter {
        @Override
        public boolean test(Map<String, String> attributes) {
            return !filter.test(attributes);
        }
    }
}
