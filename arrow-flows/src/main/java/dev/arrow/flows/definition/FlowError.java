package dev.arrow.flows.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error in the DSL's format (RFC 7807's problem details): {@code type} a URI, {@code status}
 * an HTTP-like code, {@code instance} the JSON pointer of the task that raised it.
 */
public record FlowError(String type, int status, String title, String detail, String instance) {

    public static final String SPEC = "https://serverlessworkflow.io/spec/1.0.0/errors/";
    public static final String CONFIGURATION = SPEC + "configuration";
    public static final String VALIDATION = SPEC + "validation";
    public static final String EXPRESSION = SPEC + "expression";
    public static final String AUTHENTICATION = SPEC + "authentication";
    public static final String AUTHORIZATION = SPEC + "authorization";
    public static final String TIMEOUT = SPEC + "timeout";
    public static final String COMMUNICATION = SPEC + "communication";
    public static final String RUNTIME = SPEC + "runtime";

    /** The last path segment of a type URI ({@code communication}), or the type itself when it has none. */
    public static String shortType(String type) {
        int slash = type.lastIndexOf('/');
        return slash < 0 || slash == type.length() - 1 ? type : type.substring(slash + 1);
    }

    public FlowError at(String path) {
        return new FlowError(type, status, title, detail, path);
    }

    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("type", type);
        node.put("status", status);
        if (title != null) {
            node.put("title", title);
        }
        if (detail != null) {
            node.put("detail", detail);
        }
        if (instance != null) {
            node.put("instance", instance);
        }
        return node;
    }

    /** Reads the spec's error object; a missing type or status is an error of its own, raised by the caller. */
    public static FlowError fromJson(JsonNode node, String instance) {
        String type = node.path("type").asText(RUNTIME);
        int status = node.path("status").asInt(500);
        String title = node.hasNonNull("title") ? node.get("title").asText() : null;
        String detail = node.hasNonNull("detail") ? node.get("detail").asText() : null;
        String at = node.hasNonNull("instance") ? node.get("instance").asText() : instance;
        return new FlowError(type, status, title, detail, at);
    }
}
