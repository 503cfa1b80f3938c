package dev.arrow.flows.asl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.flows.definition.DefinitionException;
import java.util.ArrayList;
import java.util.List;

/**
 * The States Language's JSONPath subset turned into jq: {@code $}, {@code $.a.b}, {@code $['a']},
 * {@code $.a[0]}, and a few context paths ({@code $$.Execution.Id}, {@code $$.Execution.Input},
 * {@code $$.Map.Item.Value}, ...). Filters, wildcards, slices and recursive descent are refused:
 * they select several values, which jq templates would have to spell differently.
 */
final class JsonPaths {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A parsed path: whether it reads the context object ({@code $$}), and its steps (names and indexes). */
    record Parsed(boolean context, List<Object> segments) {
    }

    private JsonPaths() {
    }

    static Parsed parse(String text, String where) throws DefinitionException {
        if (!text.startsWith("$")) {
            throw new DefinitionException(where, "'" + text + "' is not a JSONPath: it must start with $");
        }
        boolean context = text.startsWith("$$");
        int i = context ? 2 : 1;
        List<Object> segments = new ArrayList<>();
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '.') {
                if (i + 1 < text.length() && text.charAt(i + 1) == '.') {
                    throw unsupported(text, where);
                }
                int end = i + 1;
                while (end < text.length() && text.charAt(end) != '.' && text.charAt(end) != '[') {
                    end++;
                }
                String name = text.substring(i + 1, end);
                if (name.isEmpty() || name.contains("*") || name.contains("?") || name.contains("@")) {
                    throw unsupported(text, where);
                }
                segments.add(name);
                i = end;
            } else if (c == '[') {
                int close;
                if (i + 1 < text.length() && (text.charAt(i + 1) == '\'' || text.charAt(i + 1) == '"')) {
                    char quote = text.charAt(i + 1);
                    StringBuilder name = new StringBuilder();
                    int j = i + 2;
                    while (j < text.length() && text.charAt(j) != quote) {
                        if (text.charAt(j) == '\\' && j + 1 < text.length()) {
                            j++;
                        }
                        name.append(text.charAt(j));
                        j++;
                    }
                    if (j + 1 >= text.length() || text.charAt(j + 1) != ']') {
                        throw new DefinitionException(where, "the JSONPath '" + text + "' has an unclosed [");
                    }
                    segments.add(name.toString());
                    close = j + 1;
                } else {
                    close = text.indexOf(']', i);
                    String index = close < 0 ? "" : text.substring(i + 1, close).strip();
                    if (!index.matches("[0-9]+")) {
                        throw unsupported(text, where);
                    }
                    segments.add(Integer.parseInt(index));
                }
                i = close + 1;
            } else {
                throw new DefinitionException(where, "the JSONPath '" + text + "' is not valid at character " + (i + 1));
            }
        }
        return new Parsed(context, segments);
    }

    private static DefinitionException unsupported(String text, String where) {
        return new DefinitionException(where, "the JSONPath '" + text + "' uses a filter, wildcard, slice or"
                + " recursive descent; Arrow supports $, $.a.b, $['a'] and $.a[0]");
    }

    /** The jq reading {@code text} from the input {@code .}. */
    static String jq(String text, String where, Scope scope) throws DefinitionException {
        return jq(text, where, scope, ".");
    }

    /** The jq reading {@code text} from the value {@code base} (a jq expression on the input) stands for. */
    static String jq(String text, String where, Scope scope, String base) throws DefinitionException {
        Parsed parsed = parse(text, where);
        if (parsed.context()) {
            return context(text, parsed.segments(), where, scope);
        }
        if (parsed.segments().isEmpty()) {
            return base;
        }
        String get = "getpath(" + array(parsed.segments()) + ")";
        return base.equals(".") ? get : "(" + base + " | " + get + ")";
    }

    /** The path of a ResultPath: plain steps from {@code $}, no context object. */
    static List<Object> reference(String text, String where) throws DefinitionException {
        Parsed parsed = parse(text, where);
        if (parsed.context()) {
            throw new DefinitionException(where, "a ResultPath cannot write into the context object ($$)");
        }
        return parsed.segments();
    }

    private static String context(String text, List<Object> segments, String where, Scope scope)
            throws DefinitionException {
        List<Object> rest;
        String variable;
        if (startsWith(segments, "Execution", "Id") || startsWith(segments, "Execution", "Name")) {
            variable = "$workflow.id";
            rest = segments.subList(2, segments.size());
        } else if (startsWith(segments, "Execution", "Input")) {
            variable = "$workflow.input";
            rest = segments.subList(2, segments.size());
        } else if (startsWith(segments, "StateMachine", "Name")) {
            variable = "$workflow.definition.name";
            rest = segments.subList(2, segments.size());
        } else if (startsWith(segments, "State", "Name")) {
            variable = "$task.name";
            rest = segments.subList(2, segments.size());
        } else if (startsWith(segments, "Map", "Item", "Value") || startsWith(segments, "Map", "Item", "Index")) {
            boolean value = segments.get(2).equals("Value");
            if (scope.each().isEmpty()) {
                throw new DefinitionException(where, "'" + text + "' is only defined inside a Map state");
            }
            variable = "$" + (value ? scope.each().get() : scope.at().get());
            rest = segments.subList(3, segments.size());
        } else {
            throw new DefinitionException(where, "the context path '" + text + "' is not supported; Arrow has"
                    + " $$.Execution.Id, $$.Execution.Name, $$.Execution.Input, $$.StateMachine.Name, $$.State.Name,"
                    + " $$.Map.Item.Value and $$.Map.Item.Index");
        }
        return rest.isEmpty() ? variable : "(" + variable + " | getpath(" + array(rest) + "))";
    }

    private static boolean startsWith(List<Object> segments, String... names) {
        if (segments.size() < names.length) {
            return false;
        }
        for (int i = 0; i < names.length; i++) {
            if (!names[i].equals(segments.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** A jq array of path steps: names as strings, indexes as numbers. */
    static String array(List<Object> segments) {
        List<String> items = new ArrayList<>();
        for (Object segment : segments) {
            items.add(segment instanceof String name ? string(name) : segment.toString());
        }
        return "[" + String.join(", ", items) + "]";
    }

    /** A jq string literal (JSON's syntax, which jq reads as is). */
    static String string(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A JSON pointer's escaping of one reference token. */
    static String token(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
