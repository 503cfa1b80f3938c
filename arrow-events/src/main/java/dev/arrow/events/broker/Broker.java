package dev.arrow.events.broker;

import dev.arrow.events.ingress.CloudEventsIngress;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.platform.InvalidInputException;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.jackson.JsonFormat;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Accepts events: each stored with the deliveries it owes (one per trigger that matches it)
 * before the caller answers, then handed to {@link Deliveries}. Events from outside come as
 * CloudEvents; a schedule's firing and an object's change are made into CloudEvents here, so that
 * every trigger but the queue's is delivered, retried and dead-lettered the same way.
 */
public final class Broker {

    /** The largest event the broker stores: a dead letter (the event and why it failed) must fit a queue message. */
    public static final int MAX_EVENT_BYTES = 192 * 1024;
    public static final String SCHEDULE_TYPE = "dev.arrow.schedule.fired";
    public static final String OBJECT_CREATED_TYPE = "dev.arrow.object.created";
    public static final String OBJECT_DELETED_TYPE = "dev.arrow.object.deleted";

    private static final JsonFormat FORMAT = new JsonFormat();

    private final EventLog log;
    private final TriggerRegistry triggers;
    private final Clock clock;
    private final Runnable delivered;

    /** {@code wake} is called after each append: the deliveries' loop looks for what is now due. */
    public Broker(EventLog log, TriggerRegistry triggers, Clock clock, Runnable wake) {
        this.log = log;
        this.triggers = triggers;
        this.clock = clock;
        this.delivered = wake;
    }

    /** What publishing did: per event, whether it was new (false: a duplicate by source and id) and how many deliveries it owes. */
    public record Published(String source, String id, boolean stored, int deliveries) {
    }

    /**
     * Stores the events and their deliveries to every arrow whose event trigger matches.
     *
     * @throws InvalidInputException an event too large to store, naming its index
     */
    public List<Published> publish(List<CloudEvent> events) {
        Instant now = clock.instant();
        var pending = new ArrayList<EventLog.Pending>();
        for (int i = 0; i < events.size(); i++) {
            CloudEvent event = events.get(i);
            byte[] structured = FORMAT.serialize(event);
            if (structured.length > MAX_EVENT_BYTES) {
                String field = events.size() == 1 ? "body" : "[" + i + "]";
                throw new InvalidInputException(field, "an event is at most " + MAX_EVENT_BYTES / 1024 + " KiB as structured JSON, not "
                        + structured.length + " bytes");
            }
            Map<String, String> attributes = CloudEventsIngress.attributes(event);
            var targets = new ArrayList<EventLog.Target>();
            for (TriggerRegistry.Bound bound : triggers.all(Trigger.Event.class)) {
                if (((Trigger.Event) bound.trigger()).filter().test(attributes)) {
                    targets.add(new EventLog.Target(bound.arrow(), bound.index(), Optional.empty()));
                }
            }
            pending.add(new EventLog.Pending(envelope(event, structured, now), targets));
        }
        List<Boolean> stored = log.append(pending, now);
        delivered.run();
        var published = new ArrayList<Published>();
        for (int i = 0; i < pending.size(); i++) {
            EventLog.Pending one = pending.get(i);
            published.add(new Published(one.event().source(), one.event().id(), stored.get(i),
                    stored.get(i) ? one.targets().size() : 0));
        }
        return published;
    }

    /**
     * A schedule's firing at {@code scheduled}: an event only that trigger receives. Its id is the
     * arrow, trigger and time, so a firing recorded twice (a node stopped between storing and
     * noting it) is stored once.
     */
    public boolean fire(String arrow, int trigger, Trigger.Schedule schedule, Instant scheduled) {
        Instant now = clock.instant();
        String source = "/arrows/" + arrow + "/triggers/" + trigger;
        String data = "{\"arrow\":\"" + arrow + "\",\"trigger\":" + trigger + ",\"schedule\":\""
                + schedule.schedule().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"scheduledTime\":\""
                + scheduled + "\"}";
        CloudEvent event = CloudEventBuilder.v1().withId(arrow + "/" + trigger + "/" + scheduled).withSource(URI.create(source))
                .withType(SCHEDULE_TYPE).withTime(OffsetDateTime.ofInstant(scheduled, ZoneOffset.UTC))
                .withDataContentType("application/json").withData(data.getBytes(StandardCharsets.UTF_8)).build();
        byte[] structured = FORMAT.serialize(event);
        Optional<String> serial = schedule.overlap() ? Optional.empty() : Optional.of(source);
        boolean stored = log.append(List.of(new EventLog.Pending(envelope(event, structured, now),
                List.of(new EventLog.Target(arrow, trigger, serial)))), now).getFirst();
        delivered.run();
        return stored;
    }

    /**
     * An object created or deleted in a bucket, for every bucket trigger that matches: a CloudEvent
     * whose data is S3's event record (version 2.1), as S3 would send it to Lambda.
     */
    public void objectChanged(String bucket, Trigger.BucketEvent change, String key, long size, String etag, String sequencer) {
        var targets = new ArrayList<EventLog.Target>();
        for (TriggerRegistry.Bound bound : triggers.all(Trigger.Bucket.class)) {
            var trigger = (Trigger.Bucket) bound.trigger();
            if (trigger.bucket().equals(bucket) && trigger.matches(change, key)) {
                targets.add(new EventLog.Target(bound.arrow(), bound.index(), Optional.empty()));
            }
        }
        if (targets.isEmpty()) {
            return; // nobody listens: no event is stored for every object write
        }
        Instant now = clock.instant();
        String data = S3EventRecord.json(bucket, change, key, size, etag, sequencer, now);
        CloudEvent event = CloudEventBuilder.v1().withId(bucket + "/" + key + "/" + sequencer)
                .withSource(URI.create("/buckets/" + bucket)).withSubject(key)
                .withType(change == Trigger.BucketEvent.CREATED ? OBJECT_CREATED_TYPE : OBJECT_DELETED_TYPE)
                .withTime(OffsetDateTime.ofInstant(now, ZoneOffset.UTC)).withDataContentType("application/json")
                .withData(data.getBytes(StandardCharsets.UTF_8)).build();
        log.append(List.of(new EventLog.Pending(envelope(event, FORMAT.serialize(event), now), targets)), now);
        delivered.run();
    }

    /** Recent events with where each went. */
    public List<EventLog.EventRecord> recent(Optional<String> type, Optional<String> source, int limit) {
        return log.recent(type, source, limit);
    }

    private static EventEnvelope envelope(CloudEvent event, byte[] structured, Instant now) {
        return new EventEnvelope(event.getSource().toString(), event.getId(), event.getType(), now, structured);
    }
}
