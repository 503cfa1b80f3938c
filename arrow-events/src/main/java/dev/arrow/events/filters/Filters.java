package dev.arrow.events.filters;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Filters read from JSON, each error naming the field at fault. Two forms:
 * <ul>
 * <li>Knative's dialect: a list of objects with one key each, {@code exact}, {@code prefix},
 * {@code suffix} (attribute to value), {@code all}, {@code any} (lists) or {@code not} (one filter);
 * the list's filters must all pass.</li>
 * <li>Arrow's shorthand of a trigger's {@code event:}: attribute to a value (exact) or to an object
 * with one of {@code exact}, {@code prefix}, {@code suffix}; with an optional {@code filters} key in
 * Knative's dialect besides.</li>
 * </ul>
 */
public final class Filters {

    /** CloudEvents attribute names: lower-case letters and digits (the spec recommends at most 20). */
    private static final Pattern ATTRIBUTE = Pattern.compile("[a-z0-9]{1,20}");

    private Filters() {
    }

    /** Knative's list of filters, all of which must pass. */
    public static Filter parseList(JsonNode list, String field) {
        if (list == null || !list.isArray()) {
            throw new InvalidInputException(field, field + " must be a list of filters (exact, prefix, suffix, all, any, not)");
        }
        var filters = new ArrayList<Filter>();
        for (int i = 0; i < list.size(); i++) {
            filters.add(parse(list.get(i), field + "[" + i + "]"));
        }
        return filters.size() == 1 ? filters.getFirst() : new Filter.All(filters);
    }

    /** One filter of Knative's dialect: an object with exactly one dialect key. */
    public static Filter parse(JsonNode node, String field) {
        if (node == null || !node.isObject() || node.size() != 1) {
            throw new InvalidInputException(field, field + " must be an object with one of exact, prefix, suffix, all, any, not");
        }
        String dialect = node.fieldNames().next();
        JsonNode value = node.get(dialect);
        String at = field + "." + dialect;
        return switch (dialect) {
            case "exact" -> new Filter.Exact(attributes(value, at));
            case "prefix" -> new Filter.Prefix(attributes(value, at));
            case "suffix" -> new Filter.Suffix(attributes(value, at));
            case "all" -> new Filter.All(list(value, at));
            case "any" -> new Filter.Any(list(value, at));
            case "not" -> new Filter.Not(parse(value, at));
            default -> throw new InvalidInputException(at, at + ": '" + dialect
                    + "' is not a filter; use exact, prefix, suffix, all, any or not");
        };
    }

    /**
     * A trigger's {@code event:} shorthand: {@code {type: x, source: {prefix: /shop/}, filters: [...]}};
     * an empty object matches every event.
     */
    public static Filter parseShorthand(JsonNode node, String field) {
        if (node == null || !node.isObject()) {
            throw new InvalidInputException(field, field + " must be an object of attributes to match, e.g. {type: com.example.created}");
        }
        var filters = new ArrayList<Filter>();
        var exact = new LinkedHashMap<String, String>();
        for (var entry : node.properties()) {
            String name = entry.getKey();
            JsonNode value = entry.getValue();
            String at = field + "." + name;
            if (name.equals("filters")) {
                filters.add(parseList(value, at));
                continue;
            }
            requireAttribute(name, at);
            if (value.isTextual()) {
                exact.put(name, value.textValue());
            } else if (value.isObject() && value.size() == 1) {
                String how = value.fieldNames().next();
                JsonNode text = value.get(how);
                if (!text.isTextual()) {
                    throw new InvalidInputException(at + "." + how, at + "." + how + " must be a string");
                }
                filters.add(switch (how) {
                    case "exact" -> new Filter.Exact(Map.of(name, text.textValue()));
                    case "prefix" -> new Filter.Prefix(Map.of(name, text.textValue()));
                    case "suffix" -> new Filter.Suffix(Map.of(name, text.textValue()));
                    default -> throw new InvalidInputException(at + "." + how, at + ": '" + how
                            + "' is not a way to match an attribute; use exact, prefix or suffix");
                });
            } else {
                throw new InvalidInputException(at, at + " must be a string or one of {exact|prefix|suffix: string}");
            }
        }
        if (!exact.isEmpty()) {
            filters.addFirst(new Filter.Exact(exact));
        }
        return filters.size() == 1 ? filters.getFirst() : new Filter.All(filters);
    }

    private static List<Filter> list(JsonNode value, String field) {
        if (value == null || !value.isArray()) {
            throw new InvalidInputException(field, field + " must be a list of filters");
        }
        var filters = new ArrayList<Filter>();
        for (int i = 0; i < value.size(); i++) {
            filters.add(parse(value.get(i), field + "[" + i + "]"));
        }
        return filters;
    }

    private static Map<String, String> attributes(JsonNode value, String field) {
        if (value == null || !value.isObject() || value.isEmpty()) {
            throw new InvalidInputException(field, field + " must be an object of attribute names to strings");
        }
        var attributes = new LinkedHashMap<String, String>();
        for (var entry : value.properties()) {
            String at = field + "." + entry.getKey();
            requireAttribute(entry.getKey(), at);
            if (!entry.getValue().isTextual()) {
                throw new InvalidInputException(at, at + " must be a string");
            }
            attributes.put(entry.getKey(), entry.getValue().textValue());
        }
        return attributes;
    }

    private static void requireAttribute(String name, String field) {
        if (!ATTRIBUTE.matcher(name).matches()) {
            throw new InvalidInputException(field, field + ": '" + name
                    + "' is not a CloudEvents attribute name (1 to 20 lower-case letters and digits)");
        }
    }
}
