package dev.arrow.flows.execution;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** The listens waiting for an event now; an accepted event completes every one it matches. */
final class Listens {

    /** One waiting listen: the attributes it wants and the event it gets. */
    record Waiter(Map<String, String> attributes, CompletableFuture<JsonNode> event) {
    }

    private final Set<Waiter> waiting = ConcurrentHashMap.newKeySet();

    Waiter register(Map<String, String> attributes) {
        var waiter = new Waiter(attributes, new CompletableFuture<>());
        waiting.add(waiter);
        return waiter;
    }

    void unregister(Waiter waiter) {
        waiting.remove(waiter);
    }

    void accepted(JsonNode event) {
        for (Waiter waiter : waiting) {
            if (matches(waiter.attributes(), event)) {
                waiter.event().complete(event);
            }
        }
    }

    /** True when each attribute is present on the event with that exact value. */
    static boolean matches(Map<String, String> attributes, JsonNode event) {
        for (Map.Entry<String, String> attribute : attributes.entrySet()) {
            JsonNode value = event.get(attribute.getKey());
            if (value == null || value.isNull() || !value.asText().equals(attribute.getValue())) {
                return false;
            }
        }
        return true;
    }
}
