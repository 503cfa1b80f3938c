package dev.arrow.server;

import dev.arrow.events.broker.ArrowCaller;
import dev.arrow.events.broker.Broker;
import dev.arrow.events.broker.Deliveries;
import dev.arrow.events.broker.EventLog;
import dev.arrow.events.broker.RunnerCaller;
import dev.arrow.events.broker.TriggerRegistry;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.triggers.Triggers;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.ArrowStore;
import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.services.queues.QueueService;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.broker.EventEnvelope;
import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.objects.ObjectStore;
import dev.arrow.services.queues.Message;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * The node's events: the triggers of every arrow's traffic revision (followed through deploys,
 * rollbacks and deletes), the broker that stores events, the deliveries that run arrows with them
 * (dead letters sent to queues of the node), and the loop that fires schedules.
 */
final class NodeEvents implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NodeEvents.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TriggerRegistry triggers = new TriggerRegistry();
    private final EventLog log;
    private final Broker broker;
    private final Deliveries deliveries;
    private final ScheduleLoop schedules;
    private final QueueService queues;
    private final Clock clock;
    private final java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, JsonNode> declared = new ConcurrentHashMap<>();
    // Counted since the node started, for /metrics.
    private final java.util.concurrent.atomic.AtomicLong accepted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong deferred = new java.util.concurrent.atomic.AtomicLong();

    NodeEvents(EventLog log, InvocationService invocations, QueueService queues, Clock clock, int concurrency) {
        this(log, invocations, queues, clock, concurrency, null);
    }

    /** {@code flows}: the node's flows, whose starts are triggers of targets named {@code flow:NAME}; null: none. */
    NodeEvents(EventLog log, InvocationService invocations, QueueService queues, Clock clock, int concurrency,
            NodeFlows flows) {
        this.log = log;
        this.queues = queues;
        this.clock = clock;
        ArrowCaller arrows = new RunnerCaller(new InvocationRunner(invocations));
        ArrowCaller caller = flows == null ? arrows : (target, trigger, event) -> NodeFlows.isTarget(target)
                ? flows.deliver(target, trigger, event) : arrows.call(target, trigger, event);
        ArrowCaller counted = (arrow, trigger, event) -> {
            ArrowCaller.Outcome outcome = caller.call(arrow, trigger, event);
            (switch (outcome) {
                case ArrowCaller.Outcome.Succeeded _ -> delivered;
                case ArrowCaller.Outcome.Failed _ -> failed;
                case ArrowCaller.Outcome.Busy _ -> deferred;
            }).incrementAndGet();
            return outcome;
        };
        this.deliveries = new Deliveries(log, triggers, counted,
                (queue, body) -> queues.send(queue, body, Optional.empty()).id(), clock, RandomGenerator.getDefault(),
                concurrency);
        this.broker = new Broker(log, triggers, clock, deliveries::wake);
        this.schedules = new ScheduleLoop(triggers, broker, log, clock);
        invocations.onArrowChanged(this::arrowChanged);
    }

    /** Object changes become bucket triggers' events; a failure to store one is logged, the write stands. */
    void watch(ObjectService objects) {
        objects.onChange(new ObjectService.Changes() {
            @Override
            public void created(ObjectStore.ObjectInfo object) {
                changed(object.bucket(), Trigger.BucketEvent.CREATED, object.key(), object.size(), object.etag());
            }

            @Override
            public void deleted(String bucket, String key) {
                changed(bucket, Trigger.BucketEvent.DELETED, key, 0, "");
            }
        });
    }

    private void changed(String bucket, Trigger.BucketEvent change, String key, long size, String etag) {
        try {
            broker.objectChanged(bucket, change, key, size, etag, sequencer());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "storing the event of " + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    /** S3's sequencer: hex that grows with each change, here from the clock and never repeating. */
    private String sequencer() {
        long now = clock.instant().getEpochSecond() * 1_000_000_000L + clock.instant().getNano();
        return String.format("%016X", sequence.updateAndGet(last -> Math.max(last + 1, now)));
    }

    /** Reads every arrow's triggers, then starts delivering what is stored and firing schedules. */
    void start(ArrowStore arrows) {
        for (ArrowSummary summary : arrows.arrows()) {
            arrowChanged(summary.name(), arrows.revision(summary.name(), summary.trafficRevision()).map(r -> r.spec()));
        }
        deliveries.start(broker);
        schedules.start();
    }

    /** The arrow's triggers are those of its traffic revision from now on; none once it is gone. */
    void arrowChanged(String arrow, Optional<ArrowSpec> spec) {
        triggers.set(arrow, spec.map(NodeEvents::triggersOf).orElse(List.of()));
        spec.filter(s -> !s.triggers().isEmpty()).ifPresentOrElse(s -> declared.put(arrow, s.triggers().list()),
                () -> declared.remove(arrow));
        schedules.wake();
    }

    /** A target that is not an arrow (a flow's starts): its triggers from now on; none: an empty list. */
    void targetChanged(String target, List<Trigger> list) {
        triggers.set(target, list);
        schedules.wake();
    }

    /** The trigger as its arrow's spec declares it. */
    Optional<JsonNode> declared(String arrow, int index) {
        return Optional.ofNullable(declared.get(arrow)).map(list -> list.get(index));
    }

    /** What a redrive did: dead letters delivered again, and messages left in the queue (not an event's dead letter). */
    record Redriven(long redriven, long skipped) {
    }

    /**
     * Delivers the dead letters of {@code queue} again, each to the arrow and trigger it failed
     * for, and deletes them from the queue. A message that is not an event's dead letter stays,
     * visible again once its visibility timeout ends.
     */
    Redriven redrive(String queue, Instant now) {
        long redriven = 0;
        long skipped = 0;
        while (true) {
            List<Message> batch = queues.receive(queue, 10, Duration.ZERO, Optional.of(Duration.ofMinutes(1)));
            if (batch.isEmpty()) {
                break;
            }
            for (Message message : batch) {
                if (redrive(message, now)) {
                    queues.delete(queue, message.receiptHandle());
                    redriven++;
                } else {
                    skipped++;
                }
            }
        }
        deliveries.wake();
        return new Redriven(redriven, skipped);
    }

    private boolean redrive(Message message, Instant now) {
        JsonNode letter;
        try {
            letter = JSON.readTree(message.body());
        } catch (IOException e) {
            return false;
        }
        JsonNode event = letter.path("event");
        if (!letter.path("arrow").isTextual() || !letter.path("trigger").isInt() || !event.path("source").isTextual()
                || !event.path("id").isTextual() || !event.path("type").isTextual()) {
            return false;
        }
        String arrow = letter.get("arrow").textValue();
        int trigger = letter.get("trigger").intValue();
        String source = event.get("source").textValue();
        String id = event.get("id").textValue();
        if (log.redeliver(source, id, arrow, trigger, now)) {
            return true;
        }
        // The event is no longer stored (or was redriven already): stored again, owed to that trigger alone.
        try {
            var envelope = new EventEnvelope(source, id, event.get("type").textValue(), now, JSON.writeValueAsBytes(event));
            log.append(List.of(new EventLog.Pending(envelope, List.of(new EventLog.Target(arrow, trigger, Optional.empty())))), now);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** As validated at deploy; a stored list this node can no longer read is skipped, not fatal. */
    private static List<Trigger> triggersOf(ArrowSpec spec) {
        if (spec.triggers().isEmpty()) {
            return List.of();
        }
        try {
            return Triggers.parse(spec.triggers().list(), Set.copyOf(spec.bindings().queues()),
                    Set.copyOf(spec.bindings().buckets()));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the triggers of " + spec.name() + " cannot be read: " + e.getMessage());
            return List.of();
        }
    }

    /** Publishes events from outside (POST /v1/events), counting those stored. */
    List<Broker.Published> publish(List<io.cloudevents.CloudEvent> events) {
        List<Broker.Published> published = broker.publish(events);
        accepted.addAndGet(published.stream().filter(Broker.Published::stored).count());
        return published;
    }

    long accepted() {
        return accepted.get();
    }

    /** Attempts at delivery since the start, by outcome: delivered, failed, deferred (the arrow was busy). */
    long attempts(String outcome) {
        return switch (outcome) {
            case "delivered" -> delivered.get();
            case "failed" -> failed.get();
            default -> deferred.get();
        };
    }

    /** Deliveries waiting (due now or retried later). */
    long pending() {
        return log.stats().stream().mapToLong(EventLog.TriggerStats::pending).sum();
    }

    /** Messages in the node-wide dead-letter queue now. */
    long nodeDeadLetters() {
        return queues.queues().stream().filter(q -> q.name().equals(Deliveries.NODE_DEAD_LETTERS))
                .mapToLong(q -> q.messages()).sum();
    }

    Broker broker() {
        return broker;
    }

    Deliveries deliveries() {
        return deliveries;
    }

    TriggerRegistry triggers() {
        return triggers;
    }

    EventLog log() {
        return log;
    }


    @Override
    public void close() {
        schedules.close();
        deliveries.close();
    }
}
