package dev.arrow.flows.execution;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The events a {@code listen} waits for, as the node stored them: after a restart, a listen asks
 * here for an event that arrived while it was not listening. Events that arrive while it is are
 * handed to {@link FlowEngine#eventAccepted}.
 */
public interface FlowEvents {

    /**
     * The first event accepted at or after {@code since} whose attributes equal {@code attributes},
     * as structured CloudEvents JSON ({@code data} a JSON value); empty when there is none.
     */
    Optional<JsonNode> firstSince(Instant since, Map<String, String> attributes);
}
