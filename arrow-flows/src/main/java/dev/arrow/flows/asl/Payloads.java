package dev.arrow.flows.asl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.expressions.Expressions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Payload templates (Parameters, ItemSelector, ResultSelector, a lambda's Payload) turned into
 * Arrow's: a key ending in {@code .$} takes the value of a JSONPath or of an intrinsic function,
 * every other value is itself. Two forms: a template (member by member, for inputs) and one jq
 * expression building the value (for output shaping, where it is one stage of a pipeline).
 */
final class Payloads {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Payloads() {
    }

    /** The template giving {@code payload}, its paths read from {@code base} (a jq expression on the input). */
    static JsonNode template(JsonNode payload, String where, Scope scope, String base) throws DefinitionException {
        if (payload.isObject()) {
            ObjectNode result = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = payload.properties().iterator(); it.hasNext();) {
                Map.Entry<String, JsonNode> member = it.next();
                String at = where + "/" + JsonPaths.token(member.getKey());
                if (member.getKey().endsWith(".$")) {
                    String key = member.getKey().substring(0, member.getKey().length() - 2);
                    result.set(key, TextNode.valueOf("${ " + value(member.getValue(), at, scope, base) + " }"));
                } else {
                    result.set(member.getKey(), template(member.getValue(), at, scope, base));
                }
            }
            return result;
        }
        if (payload.isArray()) {
            ArrayNode result = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < payload.size(); i++) {
                result.add(template(payload.get(i), where + "/" + i, scope, base));
            }
            return result;
        }
        return literal(payload);
    }

    /** One jq expression building {@code payload}, its paths read from {@code base}. */
    static String jq(JsonNode payload, String where, Scope scope, String base) throws DefinitionException {
        if (payload.isObject()) {
            List<String> members = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = payload.properties().iterator(); it.hasNext();) {
                Map.Entry<String, JsonNode> member = it.next();
                String at = where + "/" + JsonPaths.token(member.getKey());
                if (member.getKey().endsWith(".$")) {
                    String key = member.getKey().substring(0, member.getKey().length() - 2);
                    members.add(JsonPaths.string(key) + ": (" + value(member.getValue(), at, scope, base) + ")");
                } else {
                    members.add(JsonPaths.string(member.getKey()) + ": (" + jq(member.getValue(), at, scope, base) + ")");
                }
            }
            return "{" + String.join(", ", members) + "}";
        }
        if (payload.isArray()) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < payload.size(); i++) {
                items.add("(" + jq(payload.get(i), where + "/" + i, scope, base) + ")");
            }
            return "[" + String.join(", ", items) + "]";
        }
        try {
            return JSON.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A literal value as a template: strings that would read as {@code ${ }} expressions are quoted in one. */
    static JsonNode literal(JsonNode value) {
        if (value.isTextual() && Expressions.isExpression(value.textValue())) {
            return TextNode.valueOf("${ " + JsonPaths.string(value.textValue()) + " }");
        }
        if (value.isObject()) {
            ObjectNode result = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.properties().iterator(); it.hasNext();) {
                Map.Entry<String, JsonNode> member = it.next();
                result.set(member.getKey(), literal(member.getValue()));
            }
            return result;
        }
        if (value.isArray()) {
            ArrayNode result = JsonNodeFactory.instance.arrayNode();
            value.forEach(item -> result.add(literal(item)));
            return result;
        }
        return value;
    }

    /** The jq of a {@code .$} key's value: a JSONPath or an intrinsic function. */
    static String value(JsonNode value, String where, Scope scope, String base) throws DefinitionException {
        if (!value.isTextual()) {
            throw new DefinitionException(where, "a key ending in .$ takes a JSONPath or an intrinsic function, as a string");
        }
        String text = value.textValue().strip();
        if (text.startsWith("States.")) {
            return new Intrinsics(text, where, scope, base).parse();
        }
        if (text.startsWith("$")) {
            return JsonPaths.jq(text, where, scope, base);
        }
        throw new DefinitionException(where, "'" + text + "' is neither a JSONPath nor an intrinsic function");
    }

    /**
     * A recursive-descent reader of intrinsic functions: {@code States.Format}, {@code States.StringToJson},
     * {@code States.JsonToString}, {@code States.Array}, {@code States.MathAdd}, {@code States.ArrayLength};
     * their arguments are quoted strings, numbers, booleans, null, JSONPaths and nested calls.
     */
    private static final class Intrinsics {
        /** Stands for an unescaped {} in a string argument, so only States.Format's template fills it. */
        private static final char SLOT = '\u0000';

        private final String text;
        private final String where;
        private final Scope scope;
        private final String base;
        private int i;

        Intrinsics(String text, String where, Scope scope, String base) {
            this.text = text;
            this.where = where;
            this.scope = scope;
            this.base = base;
        }

        /** An argument: its jq, and for a quoted string its text (slots kept). */
        private record Argument(String jq, String string) {
        }

        String parse() throws DefinitionException {
            Argument call = argument();
            skipSpace();
            if (i != text.length()) {
                throw fault("unexpected '" + text.substring(i) + "' after the function");
            }
            return call.jq();
        }

        private Argument argument() throws DefinitionException {
            skipSpace();
            if (i >= text.length()) {
                throw fault("an argument is missing");
            }
            char c = text.charAt(i);
            if (text.startsWith("States.", i)) {
                return new Argument(call(), null);
            }
            if (c == '\'') {
                String string = quoted();
                return new Argument(JsonPaths.string(string.replace(String.valueOf(SLOT), "{}")), string);
            }
            if (c == '$') {
                int start = i;
                int brackets = 0;
                while (i < text.length()) {
                    char d = text.charAt(i);
                    if (d == '[') {
                        brackets++;
                    } else if (d == ']') {
                        brackets--;
                    } else if (brackets == 0 && (d == ',' || d == ')' || Character.isWhitespace(d))) {
                        break;
                    }
                    i++;
                }
                return new Argument(JsonPaths.jq(text.substring(start, i), where, scope, base), null);
            }
            int start = i;
            while (i < text.length() && text.charAt(i) != ',' && text.charAt(i) != ')'
                    && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            String token = text.substring(start, i);
            if (token.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null")) {
                return new Argument(token, null);
            }
            throw fault("'" + token + "' is not a valid argument");
        }

        private String call() throws DefinitionException {
            int start = i;
            while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '.')) {
                i++;
            }
            String name = text.substring(start, i);
            skipSpace();
            expect('(');
            List<Argument> arguments = new ArrayList<>();
            skipSpace();
            if (i < text.length() && text.charAt(i) == ')') {
                i++;
            } else {
                while (true) {
                    arguments.add(argument());
                    skipSpace();
                    if (i < text.length() && text.charAt(i) == ',') {
                        i++;
                    } else {
                        expect(')');
                        break;
                    }
                }
            }
            return switch (name) {
                case "States.Format" -> format(arguments);
                case "States.StringToJson" -> "(" + one(name, arguments) + " | fromjson)";
                case "States.JsonToString" -> "(" + one(name, arguments) + " | tojson)";
                case "States.ArrayLength" -> "(" + one(name, arguments) + " | length)";
                case "States.MathAdd" -> {
                    if (arguments.size() != 2) {
                        throw fault("States.MathAdd takes two numbers");
                    }
                    yield "((" + arguments.get(0).jq() + ") + (" + arguments.get(1).jq() + "))";
                }
                case "States.Array" -> "[" + String.join(", ", arguments.stream()
                        .map(argument -> "(" + argument.jq() + ")").toList()) + "]";
                default -> throw fault("the intrinsic function " + name + " is not supported; Arrow has States.Format,"
                        + " States.StringToJson, States.JsonToString, States.Array, States.MathAdd and States.ArrayLength");
            };
        }

        private String one(String name, List<Argument> arguments) throws DefinitionException {
            if (arguments.size() != 1) {
                throw fault(name + " takes one argument");
            }
            return "(" + arguments.getFirst().jq() + ")";
        }

        private String format(List<Argument> arguments) throws DefinitionException {
            if (arguments.isEmpty() || arguments.getFirst().string() == null) {
                throw fault("States.Format's first argument is a quoted template");
            }
            String template = arguments.getFirst().string();
            List<String> pieces = new ArrayList<>();
            int slot = 0;
            int from = 0;
            for (int at = 0; at <= template.length(); at++) {
                if (at == template.length() || template.charAt(at) == SLOT) {
                    pieces.add(JsonPaths.string(template.substring(from, at)));
                    if (at < template.length()) {
                        slot++;
                        if (slot >= arguments.size()) {
                            throw fault("States.Format's template has more {} than arguments");
                        }
                        pieces.add("((" + arguments.get(slot).jq() + ") | if type == \"string\" then . else tojson end)");
                    }
                    from = at + 1;
                }
            }
            if (slot != arguments.size() - 1) {
                throw fault("States.Format has " + (arguments.size() - 1) + " arguments for " + slot + " {}");
            }
            return "(" + String.join(" + ", pieces) + ")";
        }

        private String quoted() throws DefinitionException {
            StringBuilder string = new StringBuilder();
            i++;
            while (i < text.length() && text.charAt(i) != '\'') {
                char c = text.charAt(i);
                if (c == '\\' && i + 1 < text.length()) {
                    string.append(text.charAt(i + 1));
                    i += 2;
                } else if (c == '{' && i + 1 < text.length() && text.charAt(i + 1) == '}') {
                    string.append(SLOT);
                    i += 2;
                } else {
                    string.append(c);
                    i++;
                }
            }
            expect('\'');
            return string.toString();
        }

        private void expect(char c) throws DefinitionException {
            if (i >= text.length() || text.charAt(i) != c) {
                throw fault("'" + c + "' expected at character " + (i + 1));
            }
            i++;
        }

        private void skipSpace() {
            while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
        }

        private DefinitionException fault(String message) {
            return new DefinitionException(where, "in '" + text + "': " + message);
        }
    }
}
