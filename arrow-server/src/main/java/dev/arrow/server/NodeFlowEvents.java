package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.events.broker.EventEnvelope;
import dev.arrow.events.broker.EventLog;
import dev.arrow.flows.execution.FlowEvents;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/** The events a flow's {@code listen} waits for, read from the node's event log. */
final class NodeFlowEvents implements FlowEvents {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventLog log;

    NodeFlowEvents(EventLog log) {
        this.log = log;
    }

    @Override
    public Optional<JsonNode> firstSince(Instant since, Map<String, String> attributes) {
        return log.firstSince(since, event -> structured(event.structured()).map(json -> matches(json, attributes))
                .orElse(false)).flatMap(event -> structured(event.structured()));
    }

    /** True when each attribute named has this value (a top-level member of the structured event, as text). */
    static boolean matches(JsonNode event, Map<String, String> attributes) {
        for (Map.Entry<String, String> wanted : attributes.entrySet()) {
            JsonNode value = event.get(wanted.getKey());
            if (value == null || !value.isValueNode() || value.isNull() || !value.asText().equals(wanted.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * An event as stored (CloudEvents' structured JSON) with {@code data} a JSON value: binary data
     * ({@code data_base64}) is read as JSON when it is, else it is the text as a JSON string.
     */
    static Optional<JsonNode> structured(byte[] stored) {
        JsonNode node;
        try {
            node = JSON.readTree(stored);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!(node instanceof ObjectNode event)) {
            return Optional.empty();
        }
        if (event.hasNonNull("data_base64")) {
            byte[] data;
            try {
                data = Base64.getDecoder().decode(event.get("data_base64").asText());
            } catch (IllegalArgumentException e) {
                return Optional.of(event);
            }
            event.remove("data_base64");
            event.set("data", NodeFlowCalls.json(data));
        }
        return Optional.of(event);
    }

    static Optional<JsonNode> structured(EventEnvelope event) {
        return structured(event.structured());
    }
}
