package dev.arrow.events.broker;

import dev.arrow.events.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.triggers.Triggers;
import dev.arrow.platform.InvalidInputException;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BrokerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MemoryEventLog log = new MemoryEventLog();
    private final TriggerRegistry triggers = new TriggerRegistry();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));
    private final AtomicInteger wakes = new AtomicInteger();
    private final Broker broker = new Broker(log, triggers, clock, wakes::incrementAndGet);

    private static List<Trigger> parse(String text) throws Exception {
        return Triggers.parse(JSON.readTree(text.replace('\'', '"')), Set.of("orders"), Set.of("images"));
    }

    private static CloudEvent event(String id, String type, String source) {
        return CloudEventBuilder.v1().withId(id).withType(type).withSource(URI.create(source)).build();
    }

    @Test
    void anEventIsStoredWithADeliveryToEveryArrowWhoseFilterMatches() throws Exception {
        triggers.set("billing", parse("[{'event': {'type': 'order.created'}}]"));
        triggers.set("audit", parse("[{'schedule': '0 0 * * * *'}, {'event': {'source': {'prefix': '/shop/'}}}]"));
        triggers.set("search", parse("[{'event': {'type': 'item.updated'}}]"));

        var published = broker.publish(List.of(event("1", "order.created", "/shop/eu")));

        assertThat(published).containsExactly(new Broker.Published("/shop/eu", "1", true, 2));
        assertThat(log.due(clock.instant(), 10)).extracting(Delivery::arrow, Delivery::trigger)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("billing", 0), org.assertj.core.groups.Tuple.tuple("audit", 1));
        assertThat(wakes).hasValue(1);
    }

    @Test
    void aDuplicateBySourceAndIdIsAcceptedButStoredOnce() throws Exception {
        triggers.set("billing", parse("[{'event': {}}]"));
        broker.publish(List.of(event("1", "t", "/a")));
        var again = broker.publish(List.of(event("1", "t", "/a"), event("1", "t", "/b")));
        assertThat(again).extracting(Broker.Published::stored).containsExactly(false, true);
        assertThat(log.due(clock.instant(), 10)).hasSize(2);
        assertThat(broker.recent(Optional.empty(), Optional.of("/a"), 10)).hasSize(1);
    }

    @Test
    void anEventNobodyWantsIsStillStoredAndListed() {
        broker.publish(List.of(event("9", "lonely", "/x")));
        var recent = broker.recent(Optional.of("lonely"), Optional.empty(), 10);
        assertThat(recent).singleElement().satisfies(r -> assertThat(r.deliveries()).isEmpty());
    }

    @Test
    void aScheduleFiringIsAnEventForItsTriggerOnlyAndIsStoredOnce() throws Exception {
        var schedule = (Trigger.Schedule) parse("[{'schedule': '0 */5 * * * *'}]").getFirst();
        triggers.set("report", List.of(schedule));
        triggers.set("everything", parse("[{'event': {}}]"));
        Instant at = Instant.parse("2026-05-01T10:05:00Z");

        assertThat(broker.fire("report", 0, schedule, at)).isTrue();
        assertThat(broker.fire("report", 0, schedule, at)).isFalse();

        Delivery delivery = log.due(clock.instant(), 10).getFirst();
        assertThat(delivery.arrow()).isEqualTo("report");
        assertThat(delivery.serialKey()).contains("/arrows/report/triggers/0");
        assertThat(delivery.event().type()).isEqualTo(Broker.SCHEDULE_TYPE);
        JsonNode structured = JSON.readTree(delivery.event().structured());
        assertThat(structured.path("data").path("scheduledTime").asText()).isEqualTo("2026-05-01T10:05:00Z");
        assertThat(structured.path("time").asText()).isEqualTo("2026-05-01T10:05:00Z");
        assertThat(log.due(clock.instant(), 10)).hasSize(1);
    }

    @Test
    void anObjectChangeIsAnS3EventRecordForMatchingBucketTriggers() throws Exception {
        triggers.set("thumbnails", parse("[{'bucket': 'images', 'events': ['created'], 'suffix': '.png'}]"));
        broker.objectChanged("images", Trigger.BucketEvent.CREATED, "cats/tom cat.png", 1234, "\"abc\"", "0001");
        broker.objectChanged("images", Trigger.BucketEvent.CREATED, "cats/notes.txt", 10, "\"def\"", "0002");
        broker.objectChanged("images", Trigger.BucketEvent.DELETED, "cats/tom cat.png", 0, "", "0003");

        Delivery delivery = log.due(clock.instant(), 10).getFirst();
        assertThat(log.due(clock.instant(), 10)).hasSize(1);
        JsonNode record = JSON.readTree(delivery.event().structured()).path("data").path("Records").get(0);
        assertThat(record.path("eventVersion").asText()).isEqualTo("2.1");
        assertThat(record.path("eventName").asText()).isEqualTo("ObjectCreated:Put");
        assertThat(record.path("s3").path("bucket").path("name").asText()).isEqualTo("images");
        assertThat(record.path("s3").path("object").path("key").asText()).isEqualTo("cats/tom+cat.png");
        assertThat(record.path("s3").path("object").path("size").asLong()).isEqualTo(1234);
        assertThat(broker.recent(Optional.empty(), Optional.empty(), 10)).hasSize(1);
    }

    @Test
    void anEventTooLargeToDeadLetterIsRefused() {
        CloudEvent huge = CloudEventBuilder.v1().withId("h").withType("t").withSource(URI.create("/s"))
                .withData("application/octet-stream", new byte[Broker.MAX_EVENT_BYTES]).build();
        assertThatThrownBy(() -> broker.publish(List.of(event("ok", "t", "/s"), huge)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("[1]"));
        assertThat(broker.recent(Optional.empty(), Optional.empty(), 10)).isEmpty();
    }
}
