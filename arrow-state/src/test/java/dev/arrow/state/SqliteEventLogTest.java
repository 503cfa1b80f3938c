package dev.arrow.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.events.broker.Delivery;
import dev.arrow.events.broker.DeliveryState;
import dev.arrow.events.broker.EventEnvelope;
import dev.arrow.events.broker.EventLog;
import dev.arrow.events.broker.Settlement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteEventLogTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00.123456789Z");

    @TempDir
    Path dir;

    private static EventLog.Pending pending(String id, String type, EventLog.Target... targets) {
        var event = new EventEnvelope("/shop", id, type, T0, ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
        return new EventLog.Pending(event, List.of(targets));
    }

    private static EventLog.Target target(String arrow, int trigger) {
        return new EventLog.Target(arrow, trigger, Optional.empty());
    }

    @Test
    void eventsAndTheirDeliveriesSurviveAReopenAndDuplicatesAreStoredOnce() {
        Path file = dir.resolve("state.db");
        try (var state = SqliteState.open(file)) {
            var log = state.events();
            assertThat(log.append(List.of(pending("1", "created", target("a", 0), target("b", 2)),
                    pending("2", "deleted")), T0)).containsExactly(true, true);
            assertThat(log.append(List.of(pending("1", "created", target("c", 0)), pending("3", "created", target("a", 0))), T0))
                    .containsExactly(false, true);
        }
        try (var state = SqliteState.open(file)) {
            var log = state.events();
            List<Delivery> due = log.due(T0, 10);
            assertThat(due).extracting(Delivery::arrow, Delivery::trigger).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("a", 0), org.assertj.core.groups.Tuple.tuple("b", 2),
                    org.assertj.core.groups.Tuple.tuple("a", 0));
            assertThat(due.getFirst().event().structured()).asString(StandardCharsets.UTF_8).isEqualTo("{\"id\":\"1\"}");
            assertThat(due.getFirst().event().acceptedAt()).isEqualTo(T0);
            assertThat(log.due(T0.minusNanos(1), 10)).isEmpty();
            assertThat(log.nextDue()).contains(T0);
            assertThat(log.recent(Optional.empty(), Optional.empty(), 10)).extracting(r -> r.event().id())
                    .containsExactly("3", "2", "1");
            assertThat(log.recent(Optional.of("deleted"), Optional.of("/shop"), 10)).singleElement()
                    .satisfies(r -> assertThat(r.deliveries()).isEmpty());
        }
    }

    @Test
    void settlementsMoveADeliveryAlongAndOnlyOnce() {
        try (var state = SqliteState.open(dir.resolve("state.db"))) {
            var log = state.events();
            log.append(List.of(pending("1", "t", target("a", 0), target("b", 0), target("c", 0))), T0);
            List<Delivery> due = log.due(T0, 10);
            long a = due.get(0).id();
            long b = due.get(1).id();
            long c = due.get(2).id();

            log.settle(a, new Settlement.Delivered(T0.plusSeconds(1)));
            log.settle(b, new Settlement.RetryLater(T0.plusSeconds(10), "exited with status 1"));
            log.settle(c, new Settlement.Deferred(T0.plusMillis(200)));
            assertThat(log.due(T0.plusSeconds(1), 10)).extracting(Delivery::id).containsExactly(c);
            Delivery retried = log.due(T0.plusSeconds(10), 10).getLast();
            assertThat(retried.id()).isEqualTo(b);
            assertThat(retried.failures()).isEqualTo(1);
            assertThat(retried.lastError()).contains("exited with status 1");
            assertThat(log.nextDue()).contains(T0.plusMillis(200));

            log.settle(b, new Settlement.DeadLettered(T0.plus(Duration.ofMinutes(1)), "still failing", "dlq", "m-1"));
            log.settle(b, new Settlement.Delivered(T0.plus(Duration.ofMinutes(2)))); // too late: it is settled
            log.settle(c, new Settlement.Delivered(T0.plusSeconds(2)));
            assertThat(log.nextDue()).isEmpty();
            List<DeliveryState> states = log.recent(Optional.empty(), Optional.empty(), 1).getFirst().deliveries();
            assertThat(states).extracting(DeliveryState::status).containsExactly(DeliveryState.Status.DELIVERED,
                    DeliveryState.Status.DEAD_LETTERED, DeliveryState.Status.DELIVERED);
            assertThat(states.get(1).failures()).isEqualTo(2);
            assertThat(states.get(1).deadLetterQueue()).contains("dlq");
            assertThat(states.get(1).settledAt()).contains(T0.plus(Duration.ofMinutes(1)));
            assertThat(states.get(2).failures()).isZero();
        }
    }

    @Test
    void aDeadLetteredDeliveryIsRedeliveredOnceAndCountedPerTrigger() {
        try (var state = SqliteState.open(dir.resolve("state.db"))) {
            var log = state.events();
            log.append(List.of(pending("1", "t", target("a", 0), target("b", 1))), T0);
            List<Delivery> due = log.due(T0, 10);
            log.settle(due.get(0).id(), new Settlement.RetryLater(T0.plusSeconds(1), "first"));
            log.settle(due.get(0).id(), new Settlement.DeadLettered(T0.plusSeconds(2), "second", "dlq", "m1"));
            log.settle(due.get(1).id(), new Settlement.Delivered(T0.plusSeconds(1)));
            assertThat(log.stats()).containsExactly(
                    new EventLog.TriggerStats("a", 0, 1, 0, 2, 1, Optional.of(T0)),
                    new EventLog.TriggerStats("b", 1, 1, 0, 0, 0, Optional.of(T0)));

            assertThat(log.redeliver("/shop", "1", "b", 1, T0.plusSeconds(5))).isFalse(); // delivered: nothing to redrive
            assertThat(log.redeliver("/shop", "2", "a", 0, T0.plusSeconds(5))).isFalse(); // no such event
            assertThat(log.redeliver("/shop", "1", "a", 0, T0.plusSeconds(5))).isTrue();
            assertThat(log.redeliver("/shop", "1", "a", 0, T0.plusSeconds(5))).isFalse(); // pending again already
            Delivery again = log.due(T0.plusSeconds(5), 10).getFirst();
            assertThat(again.arrow()).isEqualTo("a");
            assertThat(again.failures()).isZero();
            assertThat(log.recent(Optional.empty(), Optional.empty(), 1).getFirst().deliveries().getFirst())
                    .satisfies(d -> {
                        assertThat(d.status()).isEqualTo(DeliveryState.Status.PENDING);
                        assertThat(d.deadLetterQueue()).isEmpty();
                    });
        }
    }
    @Test
    void theFirstEventSinceAnInstantThatPassesATestIsFoundAcrossPages() {
        try (var state = SqliteState.open(dir.resolve("state.db"))) {
            var log = state.events();
            var many = new java.util.ArrayList<EventLog.Pending>();
            for (int i = 0; i < 300; i++) { // more than one page of the query
                many.add(pending("early-" + i, "t"));
            }
            log.append(many, T0);
            var late = new EventEnvelope("/desk", "late", "approved", T0.plusSeconds(10),
                    "{\"id\":\"late\"}".getBytes(StandardCharsets.UTF_8));
            log.append(List.of(new EventLog.Pending(late, List.of())), T0.plusSeconds(10));

            assertThat(log.firstSince(T0, event -> event.id().equals("early-299"))).map(EventEnvelope::id)
                    .contains("early-299");
            assertThat(log.firstSince(T0, event -> true)).map(EventEnvelope::id).contains("early-0");
            assertThat(log.firstSince(T0.plusSeconds(5), event -> true)).map(EventEnvelope::id).contains("late");
            assertThat(log.firstSince(T0.plusSeconds(5), event -> event.type().equals("t"))).isEmpty();
            assertThat(log.firstSince(T0.plusSeconds(11), event -> true)).isEmpty();
        }
    }
}
