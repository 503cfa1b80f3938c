package dev.arrow.events.broker;

import dev.arrow.events.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.triggers.Triggers;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeliveriesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MemoryEventLog log = new MemoryEventLog();
    private final TriggerRegistry triggers = new TriggerRegistry();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));
    private final Map<String, List<byte[]>> deadLetters = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private volatile BiFunction<String, EventEnvelope, ArrowCaller.Outcome> behaviour =
            (arrow, event) -> new ArrowCaller.Outcome.Succeeded(Optional.empty());
    private Deliveries deliveries;
    private Broker broker;

    private void start(int concurrency) {
        ArrowCaller caller = (arrow, trigger, event) -> {
            calls.add(arrow + ":" + event.id());
            return behaviour.apply(arrow, event);
        };
        deliveries = new Deliveries(log, triggers, caller, (queue, body) -> {
            deadLetters.computeIfAbsent(queue, q -> new CopyOnWriteArrayList<>()).add(body);
            return "m" + deadLetters.get(queue).size();
        }, clock, new SplittableRandom(1), concurrency);
        broker = new Broker(log, triggers, clock, deliveries::wake);
        deliveries.start(broker);
    }

    @AfterEach
    void stop() {
        if (deliveries != null) {
            deliveries.close();
        }
    }

    private static List<Trigger> parse(String text) throws Exception {
        return Triggers.parse(JSON.readTree(text.replace('\'', '"')), Set.of(), Set.of());
    }

    private static CloudEvent event(String id, String type) {
        return CloudEventBuilder.v1().withId(id).withType(type).withSource(URI.create("/test")).build();
    }

    private DeliveryState state(String id) {
        return log.recent(Optional.empty(), Optional.empty(), 100).stream().filter(r -> r.event().id().equals(id))
                .findFirst().orElseThrow().deliveries().getFirst();
    }

    @Test
    void aMatchingEventIsDeliveredAndAReplyIsPublishedInTurn() throws Exception {
        triggers.set("orders", parse("[{'event': {'type': 'order.placed'}}]"));
        triggers.set("mailer", parse("[{'event': {'type': 'order.accepted'}}]"));
        behaviour = (arrow, event) -> new ArrowCaller.Outcome.Succeeded(arrow.equals("orders")
                ? Optional.of(CloudEventBuilder.v1().withId("reply-" + event.id()).withType("order.accepted")
                        .withSource(URI.create("/arrows/orders")).build())
                : Optional.empty());
        start(4);

        broker.publish(List.of(event("7", "order.placed")));

        await().atMost(Duration.ofSeconds(10)).until(() -> calls.contains("mailer:reply-7"));
        assertThat(calls).containsExactly("orders:7", "mailer:reply-7");
        await().untilAsserted(() -> assertThat(state("7").status()).isEqualTo(DeliveryState.Status.DELIVERED));
    }

    @Test
    void failuresAreRetriedAfterTheBackoffThenDeadLetteredWithTheEventAndTheError() throws Exception {
        triggers.set("flaky", parse("""
                [{'event': {}, 'retry': {'attempts': 3, 'baseDelay': '10s', 'maxDelay': '10s'},
                  'deadLetterQueue': 'flaky-failed'}]"""));
        behaviour = (arrow, event) -> new ArrowCaller.Outcome.Failed("exited with status 3");
        start(4);

        broker.publish(List.of(event("e1", "t")));
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 1);
        await().untilAsserted(() -> assertThat(state("e1").failures()).isEqualTo(1));
        Thread.sleep(200);
        assertThat(calls).hasSize(1); // not before its backoff (at most 10 s on this clock)

        for (int attempt = 2; attempt <= 3; attempt++) {
            clock.advance(Duration.ofSeconds(11));
            deliveries.wake();
            int expected = attempt;
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == expected);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters.containsKey("flaky-failed"));
        DeliveryState state = state("e1");
        assertThat(state.status()).isEqualTo(DeliveryState.Status.DEAD_LETTERED);
        assertThat(state.deadLetterQueue()).contains("flaky-failed");
        JsonNode letter = JSON.readTree(deadLetters.get("flaky-failed").getFirst());
        assertThat(letter.path("arrow").asText()).isEqualTo("flaky");
        assertThat(letter.path("attempts").asInt()).isEqualTo(3);
        assertThat(letter.path("error").asText()).isEqualTo("exited with status 3");
        assertThat(letter.path("event").path("id").asText()).isEqualTo("e1");
        assertThat(deliveries.deadLettered()).isEqualTo(1);
    }

    @Test
    void aBusyArrowDefersItsEventsWithoutCountingFailures() throws Exception {
        triggers.set("busy", parse("[{'event': {}, 'retry': {'attempts': 1}}]"));
        var refusals = new AtomicInteger(3);
        behaviour = (arrow, event) -> refusals.getAndDecrement() > 0 ? new ArrowCaller.Outcome.Busy()
                : new ArrowCaller.Outcome.Succeeded(Optional.empty());
        start(2);

        broker.publish(List.of(event("b", "t")));
        for (int i = 0; i < 4; i++) {
            int expected = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() >= expected);
            clock.advance(Duration.ofSeconds(1));
            deliveries.wake();
        }
        await().untilAsserted(() -> assertThat(state("b").status()).isEqualTo(DeliveryState.Status.DELIVERED));
        assertThat(state("b").failures()).isZero();
        assertThat(deadLetters).isEmpty();
    }

    @Test
    void aFloodWaitsInTheStoreAtMostConcurrencyDeliveriesRun() throws Exception {
        triggers.set("slow", parse("[{'event': {}}]"));
        var release = new CountDownLatch(1);
        var running = new AtomicInteger();
        var most = new AtomicInteger();
        behaviour = (arrow, event) -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
            return new ArrowCaller.Outcome.Succeeded(Optional.empty());
        };
        start(3);

        for (int i = 0; i < 20; i++) {
            broker.publish(List.of(event("f" + i, "t")));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == 3);
        Thread.sleep(300);
        assertThat(running.get()).isEqualTo(3);
        release.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> calls.size() == 20);
        assertThat(most.get()).isEqualTo(3);
    }

    @Test
    void firingsOfAScheduleThatMayNotOverlapRunOneAfterTheOther() throws Exception {
        var schedule = (Trigger.Schedule) parse("[{'schedule': '* * * * * *'}]").getFirst();
        triggers.set("cron", List.of(schedule));
        var release = new CountDownLatch(1);
        behaviour = (arrow, event) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ArrowCaller.Outcome.Succeeded(Optional.empty());
        };
        start(4);

        broker.fire("cron", 0, schedule, Instant.parse("2026-05-01T10:00:00Z"));
        broker.fire("cron", 0, schedule, Instant.parse("2026-05-01T10:00:01Z"));
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 1);
        Thread.sleep(1500);
        assertThat(calls).hasSize(1);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 2);
    }

    @Test
    void anEventWhoseTriggerIsGoneIsDeadLetteredToTheNodesQueueNotDropped() throws Exception {
        triggers.set("gone", parse("[{'event': {}}]"));
        var hold = new CountDownLatch(1);
        start(1);
        deliveries.close(); // nothing delivered while the arrow changes
        broker = new Broker(log, triggers, clock, () -> { });
        broker.publish(List.of(event("g", "t")));
        triggers.remove("gone");
        start(1);
        deliveries.wake();

        await().atMost(Duration.ofSeconds(10)).until(() -> deadLetters.containsKey(Deliveries.NODE_DEAD_LETTERS));
        assertThat(calls).isEmpty();
        assertThat(JSON.readTree(deadLetters.get(Deliveries.NODE_DEAD_LETTERS).getFirst()).path("error").asText())
                .contains("no longer has trigger 0");
        hold.countDown();
    }
}
