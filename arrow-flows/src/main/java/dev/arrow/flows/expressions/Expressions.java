package dev.arrow.flows.expressions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.thisptr.jackson.jq.BuiltinFunctionLoader;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Versions;
import net.thisptr.jackson.jq.exception.JsonQueryException;

/**
 * jq for flows. A template is any JSON value: a string written {@code ${ expression }} is
 * replaced by the expression's result, objects and arrays are templates member by member, and
 * everything else is itself. Conditions ({@code if}, {@code when}, {@code for.in}) may be written
 * with or without the {@code ${ }}.
 *
 * <p>An expression that yields several results gives the first; one that yields none gives null.
 * Thread-safe: compiled queries are immutable and shared, and each evaluation has a scope of its own.
 */
public final class Expressions {

    /** The largest expression accepted; a definition is bounded anyway, this bounds the compile. */
    public static final int MAX_LENGTH = 4096;

    private static final Scope BUILTINS = builtins();
    private static final Map<String, JsonQuery> COMPILED = new ConcurrentHashMap<>();
    private static final int MAX_CACHED = 10_000;

    private Expressions() {
    }

    private static Scope builtins() {
        Scope scope = Scope.newEmptyScope();
        BuiltinFunctionLoader.getInstance().loadFunctions(Versions.JQ_1_6, scope);
        return scope;
    }

    /** True when {@code text} is written as a runtime expression, {@code ${ ... }}. */
    public static boolean isExpression(String text) {
        String trimmed = text.strip();
        return trimmed.startsWith("${") && trimmed.endsWith("}");
    }

    /** The jq inside {@code ${ }}, or the text itself when it is not enclosed. */
    public static String unwrap(String text) {
        String trimmed = text.strip();
        return isExpression(trimmed) ? trimmed.substring(2, trimmed.length() - 1).strip() : trimmed;
    }

    /** Compiles {@code expression} (enclosed or not), or says why it does not compile. */
    public static void check(String expression) throws ExpressionException {
        compile(unwrap(expression));
    }

    /** Compiles every expression of a template; the first that does not compile is the error. */
    public static void checkTemplate(JsonNode template) throws ExpressionException {
        if (template.isTextual() && isExpression(template.textValue())) {
            check(template.textValue());
        } else if (template.isContainerNode()) {
            for (JsonNode member : template) {
                checkTemplate(member);
            }
        }
    }

    /** Evaluates a template on {@code input}, with {@code variables} (names without the {@code $}). */
    public static JsonNode evaluate(JsonNode template, JsonNode input, Map<String, JsonNode> variables)
            throws ExpressionException {
        if (template.isTextual()) {
            String text = template.textValue();
            return isExpression(text) ? query(unwrap(text), input, variables) : template;
        }
        if (template.isObject()) {
            ObjectNode result = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = template.properties().iterator(); it.hasNext();) {
                Map.Entry<String, JsonNode> member = it.next();
                result.set(member.getKey(), evaluate(member.getValue(), input, variables));
            }
            return result;
        }
        if (template.isArray()) {
            ArrayNode result = JsonNodeFactory.instance.arrayNode();
            for (JsonNode member : template) {
                result.add(evaluate(member, input, variables));
            }
            return result;
        }
        return template;
    }

    /** Evaluates one expression (enclosed or not) on {@code input}. */
    public static JsonNode query(String expression, JsonNode input, Map<String, JsonNode> variables)
            throws ExpressionException {
        String jq = unwrap(expression);
        JsonQuery query = compile(jq);
        Scope scope = Scope.newChildScope(BUILTINS);
        variables.forEach(scope::setValue);
        List<JsonNode> results = new ArrayList<>(1);
        try {
            query.apply(scope, input == null ? NullNode.getInstance() : input, results::add);
        } catch (JsonQueryException | RuntimeException e) {
            throw new ExpressionException(jq, "the expression " + quoted(jq) + " failed on an input that is "
                    + shape(input) + ": " + e.getMessage());
        }
        return results.isEmpty() ? NullNode.getInstance() : results.getFirst();
    }

    /** Evaluates a condition: true only for a true result (jq's truthiness: anything but false and null). */
    public static boolean test(String expression, JsonNode input, Map<String, JsonNode> variables)
            throws ExpressionException {
        JsonNode result = query(expression, input, variables);
        return !(result.isNull() || result.isMissingNode() || (result.isBoolean() && !result.booleanValue()));
    }

    private static JsonQuery compile(String jq) throws ExpressionException {
        JsonQuery cached = COMPILED.get(jq);
        if (cached != null) {
            return cached;
        }
        if (jq.length() > MAX_LENGTH) {
            throw new ExpressionException(jq.substring(0, 40) + "...", "an expression is at most " + MAX_LENGTH
                    + " characters; this one has " + jq.length());
        }
        if (jq.isEmpty()) {
            throw new ExpressionException(jq, "the expression is empty");
        }
        JsonQuery query;
        try {
            query = JsonQuery.compile(jq, Versions.JQ_1_6);
        } catch (JsonQueryException | RuntimeException e) {
            throw new ExpressionException(jq, "the expression " + quoted(jq) + " is not valid jq: " + e.getMessage());
        }
        if (COMPILED.size() < MAX_CACHED) {
            COMPILED.put(jq, query);
        }
        return query;
    }

    private static String quoted(String jq) {
        return "'" + (jq.length() > 200 ? jq.substring(0, 200) + "..." : jq) + "'";
    }

    /** The shape of a value, without its contents: "an object with keys [id, items]", "an array of 3". */
    public static String shape(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return "null";
        }
        if (value.isObject()) {
            List<String> names = new ArrayList<>();
            value.fieldNames().forEachRemaining(names::add);
            if (names.size() > 20) {
                names = new ArrayList<>(names.subList(0, 20));
                names.add("...");
            }
            return "an object with keys " + names;
        }
        if (value.isArray()) {
            return "an array of " + value.size();
        }
        if (value.isTextual()) {
            return "a string";
        }
        if (value.isNumber()) {
            return "a number";
        }
        if (value.isBoolean()) {
            return "a boolean";
        }
        return value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
