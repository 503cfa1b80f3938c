package dev.arrow.platform.arrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.InvalidInputException;

/**
 * An arrow's {@code triggers} as its manifest declared them, kept as compact JSON (a list). The
 * platform only carries them: the events layer gives them meaning and validates them at deploy,
 * against the spec's bindings, before a spec holding them is made.
 *
 * @param json a JSON list, written compactly
 */
public record DeclaredTriggers(String json) {

    // Before NONE: the constructor of NONE reads it.
    private static final ObjectMapper JSON = new ObjectMapper();

    /** No trigger: what an arrow deployed without any gets. */
    public static final DeclaredTriggers NONE = new DeclaredTriggers("[]");

    /** Declared triggers are small; this bounds what a revision row carries. */
    public static final int MAX_JSON_CHARS = 64 * 1024;

    public DeclaredTriggers {
        if (json == null || json.isBlank()) {
            json = "[]";
        }
        if (json.length() > MAX_JSON_CHARS) {
            throw new InvalidInputException("triggers", "triggers are at most " + MAX_JSON_CHARS / 1024 + " KiB of JSON");
        }
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("triggers", "triggers must be a JSON list");
        }
        if (node == null || !node.isArray()) {
            throw new InvalidInputException("triggers", "triggers must be a list, e.g. [{\"queue\": \"orders\"}]");
        }
        json = node.toString();
    }

    /** The declared list of {@code node} (null or missing: none). */
    public static DeclaredTriggers of(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? NONE : new DeclaredTriggers(node.toString());
    }

    /** The list as a JSON tree. */
    public JsonNode list() {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("checked on construction", e);
        }
    }

    public boolean isEmpty() {
        return json.equals("[]");
    }
}
