package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.events.broker.ArrowCaller;
import dev.arrow.events.broker.EventEnvelope;
import dev.arrow.events.filters.Filter;
import dev.arrow.events.schedules.CronSchedule;
import dev.arrow.events.triggers.DeliveryPolicy;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.flows.asl.AslImporter;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.dsl.DslReader;
import dev.arrow.flows.execution.FlowEngine;
import dev.arrow.flows.execution.FlowException;
import dev.arrow.flows.runs.FlowRevision;
import dev.arrow.flows.runs.Language;
import dev.arrow.platform.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's flows: the engine, and the starts flows declare ({@code schedule.cron}, {@code
 * schedule.on}) as triggers of the events layer under a target name no arrow can have
 * ({@code flow:NAME}). A firing or an event is stored and delivered as an arrow's would be; its
 * delivery starts a run whose id is derived from the event, so a delivery made twice starts one run.
 */
final class NodeFlows implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NodeFlows.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The prefix of a flow's target in the events layer: ':' is not in any arrow's name. */
    static final String TARGET_PREFIX = "flow:";

    private final FlowEngine engine;
    private volatile NodeEvents events;

    NodeFlows(FlowEngine engine) {
        this.engine = engine;
    }

    FlowEngine engine() {
        return engine;
    }

    /** The events layer the flows' starts are triggers of. */
    void attach(NodeEvents events) {
        this.events = events;
    }

    static boolean isTarget(String target) {
        return target.startsWith(TARGET_PREFIX);
    }

    /** Registers every deployed flow's starts and resumes the runs a previous run of the node left RUNNING. */
    void start() {
        for (FlowRevision flow : engine.flows()) {
            changed(flow);
        }
        engine.resume();
    }

    /**
     * Deploys a flow and registers its starts; a start the events layer cannot take (a bad cron
     * expression) is refused before anything is stored.
     */
    FlowRevision deploy(Language language, String source, Optional<String> name) throws DefinitionException, FlowException {
        if (language == Language.DSL) {
            triggers(DslReader.read(source)); // throws on a start the events layer cannot take
        }
        FlowRevision revision = engine.deploy(language, source, name);
        changed(revision);
        return revision;
    }

    boolean delete(String flow) {
        boolean deleted = engine.delete(flow);
        NodeEvents attached = events;
        if (deleted && attached != null) {
            attached.targetChanged(TARGET_PREFIX + flow, List.of());
        }
        return deleted;
    }

    private void changed(FlowRevision revision) {
        NodeEvents attached = events;
        if (attached == null) {
            return;
        }
        List<Trigger> triggers;
        try {
            triggers = triggers(engine.definition(revision));
        } catch (DefinitionException | RuntimeException e) {
            LOG.log(Level.WARNING, "the starts of the flow " + revision.flow() + " cannot be read: " + e.getMessage());
            triggers = List.of();
        }
        attached.targetChanged(TARGET_PREFIX + revision.flow(), triggers);
    }

    /** A flow's starts as the events layer's triggers, in the order the definition lists them. */
    static List<Trigger> triggers(FlowDefinition definition) throws DefinitionException {
        var triggers = new ArrayList<Trigger>();
        for (FlowDefinition.Start start : definition.starts()) {
            switch (start) {
                case FlowDefinition.Start.Cron cron -> {
                    String[] words = cron.expression().strip().split("\\s+");
                    // The DSL's cron has five fields; the events layer's, seconds first, six.
                    String expression = words.length == 5 ? "0 " + cron.expression().strip() : cron.expression();
                    try {
                        triggers.add(new Trigger.Schedule(CronSchedule.parse(expression, cron.zone(), "cron", "zone"), true,
                                DeliveryPolicy.DEFAULT));
                    } catch (InvalidInputException e) {
                        throw new DefinitionException("/schedule/cron", e.getMessage());
                    }
                }
                case FlowDefinition.Start.OnEvent on -> triggers.add(new Trigger.Event(new Filter.Exact(on.attributes()),
                        DeliveryPolicy.DEFAULT));
            }
        }
        return triggers;
    }

    /** The events layer's delivery to a flow's start: a run, started once per event. */
    ArrowCaller.Outcome deliver(String target, Trigger trigger, EventEnvelope event) {
        String flow = target.substring(TARGET_PREFIX.length());
        boolean scheduled = trigger instanceof Trigger.Schedule;
        JsonNode input;
        if (scheduled) {
            input = scheduleInput(flow, event);
        } else {
            Optional<JsonNode> structured = NodeFlowEvents.structured(event);
            if (structured.isEmpty()) {
                return new ArrowCaller.Outcome.Failed("the event " + event.id() + " cannot be read as JSON");
            }
            input = structured.get();
        }
        String runId = runId(scheduled ? "schedule" : "event", target, event);
        try {
            engine.start(flow, input, scheduled ? "schedule" : "event", Optional.of(runId));
            return new ArrowCaller.Outcome.Succeeded(Optional.empty());
        } catch (FlowException e) {
            if (e.kind() == FlowException.Kind.BUSY) {
                return new ArrowCaller.Outcome.Busy(); // the delivery waits, with no attempt counted
            }
            return new ArrowCaller.Outcome.Failed("the flow " + flow + " was not started: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "starting the flow " + flow + " for the event " + event.id() + ": " + e.getMessage(), e);
            return new ArrowCaller.Outcome.Failed("the flow " + flow + " was not started: " + e.getMessage());
        }
    }

    /** A firing's data ({@code schedule}, {@code scheduledTime}) with the flow's name. */
    private static JsonNode scheduleInput(String flow, EventEnvelope event) {
        ObjectNode input = JSON.createObjectNode();
        try {
            JsonNode data = JSON.readTree(event.structured()).path("data");
            if (data.isObject()) {
                input.setAll((ObjectNode) data);
            }
        } catch (IOException e) {
            // the firing's time is enough
        }
        input.remove("arrow");
        input.remove("trigger");
        input.put("flow", flow);
        return input;
    }

    /** The run an event starts: the same for each delivery of the event to the flow. */
    static String runId(String kind, String target, EventEnvelope event) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((target + "\n" + event.source() + "\n" + event.id())
                    .getBytes(StandardCharsets.UTF_8));
            return kind + "-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Every event the node stored, as listens wait for them; a failure here never fails the store. */
    void eventStored(EventEnvelope event) {
        try {
            NodeFlowEvents.structured(event).ifPresent(engine::eventAccepted);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "handing the event " + event.id() + " to the flows: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        engine.close();
    }
}
