package dev.arrow.events.queues;

import dev.arrow.services.queues.MemoryQueueStore;
import dev.arrow.events.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.events.broker.ArrowRunner;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.services.queues.QueueOptions;
import dev.arrow.services.queues.QueueService;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class QueuePollerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final QueuePoller.Pauses QUICK = new QueuePoller.Pauses(Duration.ofMillis(10), Duration.ofMillis(20),
            Duration.ofMillis(80));

    private final MemoryQueueStore store = new MemoryQueueStore();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));
    private final QueueService queues = new QueueService(store, clock);
    private final List<QueuePoller> pollers = new ArrayList<>();

    /** Runs of the arrow: each batch's event, answered by {@code answer}. */
    private static final class Runner implements ArrowRunner {
        final List<JsonNode> events = new CopyOnWriteArrayList<>();
        final List<dev.arrow.platform.invocations.Trigger> triggers = new CopyOnWriteArrayList<>();
        volatile Function<JsonNode, Result> answer = _ -> new Result.Succeeded(new byte[0], Map.of());

        @Override
        public Optional<Mode> mode(String arrow) {
            return Optional.of(Mode.EXEC);
        }

        @Override
        public Result run(String arrow, dev.arrow.platform.invocations.Trigger trigger, Map<String, String> headers,
                byte[] body) {
            JsonNode event;
            try {
                event = JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            triggers.add(trigger);
            events.add(event);
            return answer.apply(event);
        }

        List<List<String>> bodies() {
            return events.stream().map(e -> {
                var out = new ArrayList<String>();
                e.get("Records").forEach(r -> out.add(r.get("body").textValue()));
                return (List<String>) out;
            }).toList();
        }
    }

    private final Runner runner = new Runner();

    @AfterEach
    void stop() {
        pollers.forEach(QueuePoller::close);
    }

    private QueuePoller poll(int batchSize, Duration window, int concurrency) {
        var poller = QueuePoller.start("worker", new Trigger.Queue("orders", batchSize, window,
                dev.arrow.events.triggers.DeliveryPolicy.DEFAULT), concurrency, queues, runner, clock, QUICK);
        pollers.add(poller);
        return poller;
    }

    private void send(String... bodies) {
        for (String body : bodies) {
            queues.send("orders", body.getBytes(StandardCharsets.UTF_8), Optional.empty());
        }
    }

    private static ArrowRunner.Result succeeded(String text) {
        return new ArrowRunner.Result.Succeeded(text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    @Test
    void aBatchRunsTheArrowOnceAsSqsEventRecordsAndASuccessDeletesIt() {
        send("a", "b", "c");
        poll(10, Duration.ZERO, 1);

        await().until(() -> queues.info("orders").messages() == 0);
        assertThat(runner.bodies()).containsExactly(List.of("a", "b", "c"));
        assertThat(runner.triggers).containsOnly(dev.arrow.platform.invocations.Trigger.QUEUE);
        JsonNode record = runner.events.getFirst().get("Records").get(0);
        assertThat(record.get("messageId").textValue()).isNotEmpty();
        assertThat(record.get("receiptHandle").textValue()).isNotEmpty();
        assertThat(record.get("eventSource").textValue()).isEqualTo("arrow:queue");
        assertThat(record.get("eventSourceARN").textValue()).isEqualTo("arrow:queue:orders");
        assertThat(record.get("md5OfBody").textValue()).isEqualTo("0cc175b9c0f1b6a831c399e269772661");
        assertThat(record.get("attributes").get("ApproximateReceiveCount").textValue()).isEqualTo("1");
        assertThat(record.get("attributes").get("SentTimestamp").textValue())
                .isEqualTo(Long.toString(clock.instant().toEpochMilli()));
    }

    @Test
    void batchesHoldAtMostBatchSizeMessages() {
        send("1", "2", "3", "4", "5");
        poll(2, Duration.ZERO, 1);

        await().until(() -> queues.info("orders").messages() == 0);
        assertThat(runner.bodies()).containsExactly(List.of("1", "2"), List.of("3", "4"), List.of("5"));
    }

    @Test
    void theBatchWindowWaitsForMoreMessagesToFillABatch() {
        queues.create("orders", QueueOptions.DEFAULT);
        poll(3, Duration.ofMinutes(1), 1);
        send("1");
        await().until(() -> store.receives() >= 2); // the first is held while the window is open
        send("2");
        send("3");

        await().until(() -> queues.info("orders").messages() == 0);
        assertThat(runner.bodies()).containsExactly(List.of("1", "2", "3"));
    }

    @Test
    void batchItemFailuresLeaveOnlyThoseMessagesToComeBackAfterTheirVisibilityTimeout() {
        send("ok-1", "bad", "ok-2");
        runner.answer = event -> {
            for (JsonNode record : event.get("Records")) {
                if (record.get("body").textValue().equals("bad")) {
                    return succeeded("{\"batchItemFailures\":[{\"itemIdentifier\":\""
                            + record.get("messageId").textValue() + "\"}]}");
                }
            }
            return succeeded("{\"batchItemFailures\":[]}");
        };
        poll(10, Duration.ZERO, 1);

        await().until(() -> queues.info("orders").messages() == 1);
        assertThat(queues.info("orders").inFlight()).isEqualTo(1);

        clock.advance(QueueOptions.DEFAULT.visibilityTimeout());
        runner.answer = _ -> succeeded("{}");
        send("later"); // wakes the long poll, which finds "bad" visible again

        await().until(() -> queues.info("orders").messages() == 0);
        assertThat(runner.bodies().getFirst()).containsExactly("ok-1", "bad", "ok-2");
        JsonNode again = runner.events.get(1).get("Records").get(0);
        assertThat(again.get("body").textValue()).isEqualTo("bad");
        assertThat(again.get("attributes").get("ApproximateReceiveCount").textValue()).isEqualTo("2");
    }

    @Test
    void aFailedRunDeletesNothing() {
        send("a", "b");
        runner.answer = _ -> new ArrowRunner.Result.Failed("exit status 1");
        var poller = poll(10, Duration.ZERO, 1);

        await().until(() -> poller.failures() == 1);
        assertThat(queues.info("orders").inFlight()).isEqualTo(2);
    }

    @Test
    void aFailureReportNamingAMessageNotInTheBatchFailsTheWholeBatch() {
        send("a", "b");
        runner.answer = _ -> succeeded("{\"batchItemFailures\":[{\"itemIdentifier\":\"nope\"}]}");
        var poller = poll(10, Duration.ZERO, 1);

        await().until(() -> poller.failures() == 1);
        assertThat(queues.info("orders").inFlight()).isEqualTo(2);
    }

    @Test
    void anAnswerThatIsNotAFailureReportIsASuccess() {
        send("a");
        runner.answer = _ -> succeeded("hello, not json");
        poll(10, Duration.ZERO, 1);

        await().until(() -> queues.info("orders").messages() == 0);
    }

    @Test
    void aBusyArrowHoldsItsBatchAndNothingMoreIsReceivedUntilItRan() {
        send("first");
        runner.answer = event -> {
            int calls = runner.events.size();
            if (calls == 2) {
                send("second"); // arrives while the arrow is busy: it waits in the queue
            }
            return calls <= 5 ? new ArrowRunner.Result.Busy() : succeeded("");
        };
        var poller = poll(1, Duration.ZERO, 2);

        await().until(() -> queues.info("orders").messages() == 0);
        assertThat(runner.bodies()).containsExactly(List.of("first"), List.of("first"), List.of("first"),
                List.of("first"), List.of("first"), List.of("first"), List.of("second"));
        assertThat(poller.batches()).isEqualTo(2);
        assertThat(poller.failures()).isZero();
    }

    @Test
    void aQueueMadeAfterThePollerStartedIsPolled() {
        poll(1, Duration.ZERO, 1);
        send("a");
        await().until(() -> queues.info("orders").messages() == 0);
        assertThat(runner.bodies()).containsExactly(List.of("a"));
    }

    @Test
    void pollersFollowTheArrowsTriggers() {
        try (var all = new QueuePollers(queues, runner, clock, QUICK)) {
            var orders = new Trigger.Queue("orders", 1, Duration.ZERO, dev.arrow.events.triggers.DeliveryPolicy.DEFAULT);
            var other = new Trigger.Queue("other", 1, Duration.ZERO, dev.arrow.events.triggers.DeliveryPolicy.DEFAULT);
            all.update("worker", List.of(orders), 2);
            QueuePoller first = all.pollers().getFirst();

            all.update("worker", List.of(orders, other), 2);
            assertThat(all.pollers()).hasSize(2).contains(first);

            all.update("worker", List.of(other), 2);
            assertThat(all.pollers()).extracting(p -> p.trigger().queue()).containsExactly("other");

            all.remove("worker");
            assertThat(all.pollers()).isEmpty();

            send("a");
            all.update("worker", List.of(orders), 1);
            await().until(() -> queues.info("orders").messages() == 0);
            assertThat(runner.bodies()).containsExactly(List.of("a"));
        }
    }
}
