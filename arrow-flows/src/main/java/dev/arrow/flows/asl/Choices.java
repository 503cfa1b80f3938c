package dev.arrow.flows.asl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.definition.DefinitionException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Choice rules turned into jq conditions on the state's input. A comparison holds only when the
 * variable has the compared type (as in Step Functions, a string compared with a number is
 * false). Timestamps compare as text, which orders ISO 8601 instants written in one zone and precision.
 */
final class Choices {

    private static final String TIMESTAMP = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$";

    private Choices() {
    }

    /** The condition of one rule; a top-level rule's {@code Next} is the caller's, a nested rule has none. */
    static String condition(JsonNode rule, String where, Scope scope, boolean top) throws DefinitionException {
        if (!rule.isObject()) {
            throw new DefinitionException(where, "a choice rule is an object");
        }
        List<String> operators = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = rule.properties().iterator(); it.hasNext();) {
            String key = it.next().getKey();
            if (key.equals("Next") && top || key.equals("Comment") || key.equals("Variable")) {
                continue;
            }
            if (key.equals("Next")) {
                throw new DefinitionException(where + "/Next", "only a top-level choice rule has a Next");
            }
            operators.add(key);
        }
        if (operators.size() != 1) {
            throw new DefinitionException(where, "a choice rule has exactly one operator (And, Or, Not or a"
                    + " comparison); this one has " + operators);
        }
        String operator = operators.getFirst();
        JsonNode operand = rule.get(operator);
        String at = where + "/" + operator;
        switch (operator) {
            case "And", "Or" -> {
                if (!operand.isArray() || operand.isEmpty()) {
                    throw new DefinitionException(at, operator + " takes a non-empty array of rules");
                }
                List<String> parts = new ArrayList<>();
                for (int i = 0; i < operand.size(); i++) {
                    parts.add("(" + condition(operand.get(i), at + "/" + i, scope, false) + ")");
                }
                return String.join(operator.equals("And") ? " and " : " or ", parts);
            }
            case "Not" -> {
                return "((" + condition(operand, at, scope, false) + ") | not)";
            }
            default -> {
                JsonNode variable = rule.get("Variable");
                if (variable == null || !variable.isTextual()) {
                    throw new DefinitionException(where + "/Variable", "a comparison needs a Variable, a JSONPath");
                }
                return comparison(operator, operand, variable.textValue(), where, scope);
            }
        }
    }

    private static String comparison(String operator, JsonNode operand, String variable, String where, Scope scope)
            throws DefinitionException {
        String at = where + "/" + operator;
        String value = JsonPaths.jq(variable, where + "/Variable", scope);
        if (operator.equals("IsPresent")) {
            return "(" + present(variable, value, where, scope) + ") == " + bool(operand, at);
        }
        String test = switch (operator) {
            case "IsNull" -> "($v == null)";
            case "IsNumeric" -> "(($v | type) == \"number\")";
            case "IsString" -> "(($v | type) == \"string\")";
            case "IsBoolean" -> "(($v | type) == \"boolean\")";
            case "IsTimestamp" -> "(($v | type) == \"string\" and ($v | test(" + JsonPaths.string(TIMESTAMP) + ")))";
            default -> null;
        };
        if (test != null) {
            return "(" + value + " as $v | " + test + " == " + bool(operand, at) + ")";
        }
        if (operator.equals("StringMatches")) {
            if (!operand.isTextual()) {
                throw new DefinitionException(at, "StringMatches takes a string pattern");
            }
            return "(" + value + " as $v | ($v | type) == \"string\" and ($v | test("
                    + JsonPaths.string(glob(operand.textValue())) + ")))";
        }
        boolean path = operator.endsWith("Path");
        String base = path ? operator.substring(0, operator.length() - 4) : operator;
        String type;
        String kind;
        if (base.startsWith("String")) {
            type = "string";
            kind = base.substring(6);
        } else if (base.startsWith("Numeric")) {
            type = "number";
            kind = base.substring(7);
        } else if (base.startsWith("Boolean")) {
            type = "boolean";
            kind = base.substring(7);
        } else if (base.startsWith("Timestamp")) {
            type = "string";
            kind = base.substring(9);
        } else {
            throw new DefinitionException(at, "'" + operator + "' is not a choice rule operator");
        }
        String compare = switch (kind) {
            case "Equals" -> "==";
            case "LessThan" -> "<";
            case "GreaterThan" -> ">";
            case "LessThanEquals" -> "<=";
            case "GreaterThanEquals" -> ">=";
            default -> throw new DefinitionException(at, "'" + operator + "' is not a choice rule operator");
        };
        if (type.equals("boolean") && !kind.equals("Equals")) {
            throw new DefinitionException(at, "'" + operator + "' is not a choice rule operator");
        }
        String other;
        if (path) {
            if (!operand.isTextual()) {
                throw new DefinitionException(at, operator + " takes a JSONPath");
            }
            other = JsonPaths.jq(operand.textValue(), at, scope);
        } else {
            boolean matches = switch (type) {
                case "string" -> operand.isTextual();
                case "number" -> operand.isNumber();
                default -> operand.isBoolean();
            };
            if (!matches) {
                throw new DefinitionException(at, operator + " compares with a " + type);
            }
            if (base.startsWith("Timestamp") && !operand.textValue().matches(TIMESTAMP)) {
                throw new DefinitionException(at, "'" + operand.textValue() + "' is not an ISO 8601 timestamp");
            }
            other = operand.toString();
        }
        String typed = "($v | type) == \"" + type + "\" and ($o | type) == \"" + type + "\"";
        return "(" + value + " as $v | " + other + " as $o | " + typed + " and $v " + compare + " $o)";
    }

    /** Whether the path names a member that exists (a null member is present). */
    private static String present(String variable, String value, String where, Scope scope) throws DefinitionException {
        JsonPaths.Parsed parsed = JsonPaths.parse(variable, where + "/Variable");
        if (parsed.context()) {
            return "(" + value + " != null)";
        }
        List<Object> segments = parsed.segments();
        if (segments.isEmpty()) {
            return "true";
        }
        List<Object> parent = segments.subList(0, segments.size() - 1);
        Object last = segments.getLast();
        String step = last instanceof String name ? JsonPaths.string(name) : last.toString();
        String type = last instanceof String ? "object" : "array";
        return "(try (getpath(" + JsonPaths.array(parent) + ") | (type == \"" + type + "\") and has(" + step + ")) catch false)";
    }

    private static String bool(JsonNode operand, String at) throws DefinitionException {
        if (!operand.isBoolean()) {
            throw new DefinitionException(at, "takes true or false");
        }
        return Boolean.toString(operand.booleanValue());
    }

    /** A StringMatches pattern as a regex: {@code *} is any text, {@code \*} and {@code \\} are literal. */
    static String glob(String pattern) {
        StringBuilder regex = new StringBuilder("^");
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                c = pattern.charAt(++i);
                regex.append(Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c);
            } else if (c == '*') {
                regex.append(".*");
            } else {
                regex.append(Character.isLetterOrDigit(c) || c == ' ' ? String.valueOf(c) : "\\" + c);
            }
        }
        return regex.append('$').toString();
    }
}
