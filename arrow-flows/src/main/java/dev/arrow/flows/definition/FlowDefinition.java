package dev.arrow.flows.definition;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A flow as Arrow runs it, whichever language it was written in.
 *
 * @param namespace the DSL's {@code document.namespace}
 * @param name      the DSL's {@code document.name}: the flow's name on the node
 * @param version   the DSL's {@code document.version} (the node numbers revisions on its own)
 * @param body      the top-level {@code do}
 * @param inputFrom the flow's {@code input.from}, applied to a run's input
 * @param outputAs  the flow's {@code output.as}, applied to the last step's output
 * @param timeout   the flow's {@code timeout.after}: a run that takes longer fails with a timeout
 * @param starts    what starts runs besides the API: the DSL's {@code schedule} ({@code cron}, {@code on} one event)
 */
public record FlowDefinition(String namespace, String name, String version, Step.Sequence body,
        Optional<JsonNode> inputFrom, Optional<JsonNode> outputAs, Optional<Duration> timeout, List<Start> starts) {

    public FlowDefinition {
        starts = List.copyOf(starts);
    }

    /** What starts a run by itself. */
    public sealed interface Start {
        /** A cron schedule (five fields, or six with seconds) in a time zone (UTC when none is given). */
        record Cron(String expression, String zone) implements Start {
        }

        /** Every CloudEvent whose attributes equal these; the event is the run's input. */
        record OnEvent(java.util.Map<String, String> attributes) implements Start {
            public OnEvent {
                attributes = java.util.Map.copyOf(attributes);
            }
        }
    }
}
