package dev.arrow.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.events.broker.Broker;
import dev.arrow.events.broker.DeliveryState;
import dev.arrow.events.broker.EventLog;
import dev.arrow.events.ingress.CloudEventsIngress;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.events.broker.Deliveries;
import dev.arrow.events.broker.TriggerRegistry;
import dev.arrow.events.queues.QueuePoller;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.services.queues.QueueService;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.jetty.http.HttpField;

/**
 * The event routes under {@code /v1/events} (docs/api.md, "Events"): CloudEvents accepted in
 * binary, structured and batch mode, stored with their deliveries before the 202; the recent ones
 * listed with where each went.
 */
final class EventRoutes {

    /** A batch of the largest events, with room for its JSON around them. */
    static final int MAX_BODY = 4 << 20;
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 500;

    private final NodeEvents events;
    private final Clock clock;
    private final ArrowTriggers queues;

    EventRoutes(NodeEvents events, Clock clock) {
        this(events, clock, null);
    }

    /** {@code queues}: the queue triggers' pollers, whose figures stand for those triggers' deliveries. */
    EventRoutes(NodeEvents events, Clock clock, ArrowTriggers queues) {
        this.queues = queues;
        this.events = events;
        this.clock = clock;
    }

    Router addTo(Router router) {
        return router
                .add("POST", "/v1/events", this::publish)
                .add("GET", "/v1/events", this::list)
                .add("POST", "/v1/events/redrive", this::redrive)
                .add("GET", "/v1/triggers", this::triggers);
    }

    private void publish(Exchange ex) throws IOException {
        var headers = new LinkedHashMap<String, String>();
        for (HttpField field : ex.request().getHeaders()) {
            headers.putIfAbsent(field.getLowerCaseName(), field.getValue());
        }
        byte[] body = ex.body(MAX_BODY);
        List<Broker.Published> published = events.publish(CloudEventsIngress.read(headers, body));
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("events");
        for (Broker.Published one : published) {
            list.addObject().put("source", one.source()).put("id", one.id()).put("stored", one.stored())
                    .put("deliveries", one.deliveries());
        }
        ex.json(202, out);
    }

    private void list(Exchange ex) throws IOException {
        Optional<String> type = ex.query("type").filter(value -> !value.isEmpty());
        Optional<String> source = ex.query("source").filter(value -> !value.isEmpty());
        int limit = ex.query("limit").filter(value -> !value.isEmpty()).map(EventRoutes::limit).orElse(DEFAULT_LIMIT);
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("events");
        for (EventLog.EventRecord record : events.broker().recent(type, source, limit)) {
            list.add(recordJson(record));
        }
        ex.json(200, out);
    }

    private void redrive(Exchange ex) {
        String queue = QueueService.requireQueueName(ex.query("queue").filter(value -> !value.isEmpty())
                .orElse(Deliveries.NODE_DEAD_LETTERS));
        NodeEvents.Redriven redriven = events.redrive(queue, clock.instant());
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("queue", queue).put("redriven", redriven.redriven()).put("skipped", redriven.skipped());
        ex.json(200, out);
    }

    /** Each trigger with its last firing (the newest event it was owed), next firing (schedules) and deliveries. */
    private void triggers(Exchange ex) {
        Optional<String> arrow = ex.query("arrow").filter(value -> !value.isEmpty());
        arrow.filter(name -> !NodeFlows.isTarget(name)).ifPresent(name -> ArrowName.require(name, "arrow")); // or a flow's
        var stats = new HashMap<String, EventLog.TriggerStats>();
        events.log().stats().forEach(one -> stats.put(one.arrow() + "/" + one.trigger(), one));
        Instant now = clock.instant();
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("triggers");
        for (TriggerRegistry.Bound bound : events.triggers().all(Trigger.class)) {
            if (arrow.isPresent() && !arrow.get().equals(bound.arrow())) {
                continue;
            }
            ObjectNode one = list.addObject();
            one.put("arrow", bound.arrow()).put("index", bound.index()).put("kind", bound.trigger().kind());
            events.declared(bound.arrow(), bound.index()).ifPresent(declared -> one.set("trigger", declared));
            EventLog.TriggerStats counted = stats.get(bound.arrow() + "/" + bound.index());
            if (counted != null) {
                counted.last().ifPresent(at -> one.put("lastFiring", at.toString()));
            }
            if (bound.trigger() instanceof Trigger.Schedule schedule) {
                schedule.schedule().next(now).ifPresent(at -> one.put("nextFiring", at.toString()));
            }
            if (bound.trigger() instanceof Trigger.Queue queue && queues != null) {
                // batches are run by the trigger's poller, and dead-lettered by the queue itself
                var poller = queues.poller(bound.arrow(), queue);
                poller.flatMap(QueuePoller::lastBatch).ifPresent(at -> one.put("lastFiring", at.toString()));
                one.put("deliveries", poller.map(QueuePoller::batches).orElse(0L));
                one.put("failures", poller.map(QueuePoller::failures).orElse(0L));
                continue;
            }
            one.put("deliveries", counted == null ? 0 : counted.deliveries());
            one.put("pending", counted == null ? 0 : counted.pending());
            one.put("failures", counted == null ? 0 : counted.failures());
            one.put("deadLetters", counted == null ? 0 : counted.deadLettered());
        }
        ex.json(200, out);
    }

    static ObjectNode recordJson(EventLog.EventRecord record) throws IOException {
        ObjectNode one = Exchange.JSON.createObjectNode();
        one.put("source", record.event().source()).put("id", record.event().id()).put("type", record.event().type())
                .put("acceptedAt", record.event().acceptedAt().toString());
        one.set("event", Exchange.JSON.readTree(record.event().structured()));
        ArrayNode deliveries = one.putArray("deliveries");
        for (DeliveryState delivery : record.deliveries()) {
            ObjectNode d = deliveries.addObject();
            d.put("arrow", delivery.arrow()).put("trigger", delivery.trigger())
                    .put("status", delivery.status().name().toLowerCase(Locale.ROOT)).put("failures", delivery.failures());
            delivery.settledAt().ifPresent(at -> d.put("settledAt", at.toString()));
            delivery.lastError().ifPresent(error -> d.put("lastError", error));
            delivery.deadLetterQueue().ifPresent(queue -> d.put("deadLetterQueue", queue));
        }
        return one;
    }

    private static int limit(String value) {
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new InvalidInputException("limit", "limit must be a whole number from 1 to " + MAX_LIMIT + ", not '" + value + "'");
    }

}
