package dev.arrow.events.triggers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.InvalidInputException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TriggersTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Trigger> parse(String text) throws Exception {
        return Triggers.parse(JSON.readTree(text.replace('\'', '"')), Set.of("orders"), Set.of("images"));
    }

    private static void refused(String text, String field, String says) {
        assertThatThrownBy(() -> parse(text)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo(field)).hasMessageContaining(says);
    }

    @Test
    void theFiveKindsOfTheIssuesExample() throws Exception {
        List<Trigger> triggers = parse("""
                [{'schedule': '0 */5 * * * *'},
                 {'event': {'type': 'com.example.order.created', 'source': {'prefix': '/shop/'}}},
                 {'queue': 'orders', 'batchSize': 10, 'batchWindow': '2s'},
                 {'bucket': 'images', 'events': ['created'], 'prefix': 'in/', 'suffix': '.png'},
                 {'http': {'path': '/api/orders', 'methods': ['POST']}}]""");
        assertThat(triggers).extracting(Trigger::kind).containsExactly("schedule", "event", "queue", "bucket", "http");
        var event = (Trigger.Event) triggers.get(1);
        assertThat(event.filter().test(Map.of("type", "com.example.order.created", "source", "/shop/1"))).isTrue();
        assertThat(event.delivery()).isEqualTo(DeliveryPolicy.DEFAULT);
        var queue = (Trigger.Queue) triggers.get(2);
        assertThat(queue.batchSize()).isEqualTo(10);
        assertThat(queue.batchWindow()).isEqualTo(Duration.ofSeconds(2));
        var bucket = (Trigger.Bucket) triggers.get(3);
        assertThat(bucket.matches(Trigger.BucketEvent.CREATED, "in/a.png")).isTrue();
        assertThat(bucket.matches(Trigger.BucketEvent.DELETED, "in/a.png")).isFalse();
        assertThat(bucket.matches(Trigger.BucketEvent.CREATED, "out/a.png")).isFalse();
        assertThat(triggers.get(4)).isEqualTo(new Trigger.Http("/api/orders", Set.of("POST"), Optional.empty()));
        assertThat(parse("null")).isEmpty();
    }

    @Test
    void retriesAndDeadLettersPerTrigger() throws Exception {
        var schedule = (Trigger.Schedule) parse("""
                [{'schedule': '0 0 9 * * MON-FRI', 'timezone': 'Europe/Paris', 'overlap': true,
                  'retry': {'attempts': 6, 'baseDelay': 500, 'maxDelay': '1m', 'maxAge': '2h'},
                  'deadLetterQueue': 'failed-reports'}]""").getFirst();
        assertThat(schedule.schedule().zone()).isEqualTo(ZoneId.of("Europe/Paris"));
        assertThat(schedule.overlap()).isTrue();
        assertThat(schedule.delivery()).isEqualTo(new DeliveryPolicy(6, Duration.ofMillis(500), Duration.ofMinutes(1),
                Duration.ofHours(2), Optional.of("failed-reports")));
    }

    @Test
    void queuesAndBucketsMustBeBound() {
        refused("[{'queue': 'payments'}]", "triggers[0].queue", "does not bind the queue 'payments'");
        refused("[{'schedule': '0 * * * * *'}, {'bucket': 'videos'}]", "triggers[1].bucket", "bindings.buckets");
    }

    @Test
    void overlappingRoutesAndTheNodesOwnPathsAreRefused() {
        refused("[{'http': {'path': '/api'}}, {'http': {'path': '/api/orders', 'methods': ['GET']}}]", "triggers[1].http.path",
                "overlaps triggers[0]'s /api");
        refused("[{'http': {'path': '/v1/kv'}}]", "triggers[0].http.path", "the node's own /v1");
        refused("[{'http': {'path': 'api'}}]", "triggers[0].http.path", "absolute path");
        refused("[{'http': {'path': '/a/../v1'}}]", "triggers[0].http.path", "absolute path");
        refused("[{'http': {'path': '/x', 'methods': ['get']}}]", "triggers[0].http.methods[0]", "upper case");
    }

    @Test
    void routesOverlapOnlyWhereARequestCouldMatchBoth() {
        var post = new Trigger.Http("/api/orders", Set.of("POST"), Optional.empty());
        assertThat(post.overlaps(new Trigger.Http("/api/orders", Set.of("GET"), Optional.empty()))).isFalse();
        assertThat(post.overlaps(new Trigger.Http("/api/orders/1", Set.of(), Optional.empty()))).isTrue();
        assertThat(post.overlaps(new Trigger.Http("/api/ordersx", Set.of(), Optional.empty()))).isFalse();
        var hosted = new Trigger.Http("/api/orders", Set.of(), Optional.of("a.example"));
        assertThat(hosted.overlaps(new Trigger.Http("/api/orders", Set.of(), Optional.of("b.example")))).isFalse();
        assertThat(hosted.overlaps(post)).isTrue();
    }

    @Test
    void everyBadOptionIsNamed() {
        refused("[{'schedule': '0 */5 * * *'}]", "triggers[0].schedule", "has 5 fields");
        refused("[{'schedule': '0 0 9 * * *', 'timezone': 'Paris'}]", "triggers[0].timezone", "not a time zone");
        refused("[{'queue': 'orders', 'batchSize': 11}]", "triggers[0].batchSize", "1 to 10");
        refused("[{'queue': 'orders', 'batchWindow': '10m'}]", "triggers[0].batchWindow", "at most 5m");
        refused("[{'queue': 'orders', 'retry': {'attempts': 3}}]", "triggers[0].retry", "retried by the queue itself");
        refused("[{'bucket': 'images', 'events': ['modified']}]", "triggers[0].events[0]", "created or deleted");
        refused("[{'event': {}, 'retry': {'attempts': 0}}]", "triggers[0].retry.attempts", "1 to 100");
        refused("[{'event': {}, 'retry': {'baseDelay': '1m', 'maxDelay': '1s'}}]", "triggers[0].retry.maxDelay", "at least baseDelay");
        refused("[{'event': {}, 'retry': {'tries': 2}}]", "triggers[0].retry.tries", "not an option");
        refused("[{'event': {}, 'deadLetterQueue': 'Bad Name'}]", "triggers[0].deadLetterQueue", "must name a queue");
        refused("[{'event': {}, 'colour': 'red'}]", "triggers[0].colour", "not an option");
        refused("[{'event': {}, 'queue': 'orders'}]", "triggers[0]", "has 2 kinds");
        refused("[{'cron': '* * * * * *'}]", "triggers[0]", "has no kind");
        refused("{'queue': 'orders'}", "triggers", "must be a list");
    }
}
