package dev.arrow.services.queues;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.services.QueueFullException;
import dev.arrow.services.ReceiptHandleInvalidException;
import dev.arrow.services.StoreExistsException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class QueueServiceTest {

    private final TestClock clock = new TestClock();
    private final MemoryQueueStore store = new MemoryQueueStore();
    private final QueueService service = new QueueService(store, clock);

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }

    private static void assertInvalid(ThrowingCallable call, String field) {
        assertThatThrownBy(call).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo(field));
    }

    @Test
    void badInputIsRefusedNamingItsFieldAndStoresNothing() {
        assertInvalid(() -> service.send("Bad_Name", bytes("x"), Optional.empty()), "queue");
        assertInvalid(() -> service.send("", bytes("x"), Optional.empty()), "queue");
        assertInvalid(() -> service.send("q", new byte[0], Optional.empty()), "body");
        assertInvalid(() -> service.send("q", new byte[256 * 1024 + 1], Optional.empty()), "body");
        assertInvalid(() -> service.send("q", bytes("x"), Optional.of(Duration.ofMinutes(16))), "delay");
        assertInvalid(() -> service.send("q", bytes("x"), Optional.of(Duration.ofSeconds(-1))), "delay");
        assertThat(service.queues()).isEmpty();

        service.send("q", new byte[256 * 1024], Optional.empty());
        assertInvalid(() -> service.receive("q", 0, Duration.ZERO, Optional.empty()), "maxMessages");
        assertInvalid(() -> service.receive("q", 11, Duration.ZERO, Optional.empty()), "maxMessages");
        assertInvalid(() -> service.receive("q", 1, Duration.ofSeconds(21), Optional.empty()), "waitTime");
        assertInvalid(() -> service.receive("q", 1, Duration.ZERO, Optional.of(Duration.ofHours(13))),
                "visibilityTimeout");
        assertThat(service.info("q").visible()).isEqualTo(1);
        assertThatThrownBy(() -> service.receive("none", 1, Duration.ZERO, Optional.empty()))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void optionsHaveTheirBoundsAndADeadLetterQueueGoesWithMaxReceiveCount() {
        QueueOptions d = QueueOptions.DEFAULT;
        assertThat(d.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.retention()).isEqualTo(Duration.ofDays(4));
        assertInvalid(() -> d.withVisibilityTimeout(Duration.ofHours(12).plusSeconds(1)), "visibilityTimeout");
        assertInvalid(() -> d.withRetention(Duration.ofSeconds(59)), "retention");
        assertInvalid(() -> d.withRetention(Duration.ofDays(15)), "retention");
        assertInvalid(() -> d.withDelay(Duration.ofMinutes(15).plusMillis(1)), "delay");
        assertInvalid(() -> d.withMaxMessageBytes(256 * 1024 + 1), "maxMessageBytes");
        assertInvalid(() -> d.withMaxMessages(0), "maxMessages");
        assertInvalid(() -> d.withDeadLetterQueue("dlq", 0), "maxReceiveCount");
        assertInvalid(() -> d.withDeadLetterQueue("DLQ!", 3), "deadLetterQueue");
        assertInvalid(() -> new QueueOptions(d.visibilityTimeout(), d.retention(), d.maxMessageBytes(), d.delay(), 3,
                Optional.empty(), d.maxMessages()), "deadLetterQueue");
        assertInvalid(() -> service.create("q", d.withDeadLetterQueue("q", 3)), "deadLetterQueue");

        assertThat(service.create("q", d.withDeadLetterQueue("dlq", 3)).created()).isTrue();
        assertThat(service.create("q", d.withDeadLetterQueue("dlq", 3)).created()).isFalse();
        assertThatThrownBy(() -> service.create("q", d)).isInstanceOf(StoreExistsException.class);
    }

    @Test
    void receiptHandlesMustBeTheLatestOfThisQueue() {
        service.send("q", bytes("m"), Optional.empty());
        service.send("other", bytes("o"), Optional.empty());
        Message first = service.receive("q", 1, Duration.ZERO, Optional.empty()).getFirst();
        Message foreign = service.receive("other", 1, Duration.ZERO, Optional.empty()).getFirst();

        assertThatThrownBy(() -> service.delete("q", "not-a-handle")).isInstanceOf(ReceiptHandleInvalidException.class);
        assertThatThrownBy(() -> service.delete("q", foreign.receiptHandle()))
                .isInstanceOf(ReceiptHandleInvalidException.class).hasMessageContaining("another queue");
        clock.advance(Duration.ofSeconds(30));
        assertThatThrownBy(() -> service.changeVisibility("q", first.receiptHandle(), Duration.ofSeconds(5)))
                .isInstanceOf(ReceiptHandleInvalidException.class).hasMessageContaining("not in flight");
        Message second = service.receive("q", 1, Duration.ZERO, Optional.empty()).getFirst();
        assertThat(second.receiveCount()).isEqualTo(2);
        assertThatThrownBy(() -> service.delete("q", first.receiptHandle()))
                .isInstanceOf(ReceiptHandleInvalidException.class).hasMessageContaining("stale");
        assertThat(service.info("q").inFlight()).isEqualTo(1);

        service.delete("q", second.receiptHandle());
        service.delete("q", second.receiptHandle()); // a retried delete is accepted
        assertThat(service.info("q").messages()).isZero();
        assertThatThrownBy(() -> service.delete("none", second.receiptHandle()))
                .isInstanceOf(ReceiptHandleInvalidException.class);
    }

    @Test
    void aFullQueueRefusesWith429AndATooLargeBodyWith400() {
        service.create("q", QueueOptions.DEFAULT.withMaxMessages(1).withMaxMessageBytes(2));
        service.send("q", bytes("a"), Optional.empty());
        assertThatThrownBy(() -> service.send("q", bytes("b"), Optional.empty())).isInstanceOf(QueueFullException.class);
        assertInvalid(() -> service.send("q", bytes("abc"), Optional.empty()), "body");
    }

    @Test
    void anEmptyLongPollEndsAfterItsWaitWithoutPollingTheStoreInALoop() {
        service.create("q", QueueOptions.DEFAULT);
        long start = System.nanoTime();
        assertThat(service.receive("q", 1, Duration.ofMillis(500), Optional.empty())).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(450), Duration.ofSeconds(3));
        assertThat(store.receives).isLessThanOrEqualTo(3);
        assertThat(service.receive("q", 1, Duration.ZERO, Optional.empty())).isEmpty();
    }

    @Test
    void aLongPollIsWokenBySendsAndChangesOfVisibility() throws Exception {
        service.create("q", QueueOptions.DEFAULT);
        var started = new CountDownLatch(1);
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<List<Message>> waiting = executor.submit(() -> {
                started.countDown();
                return service.receive("q", 10, Duration.ofSeconds(20), Optional.empty());
            });
            started.await();
            Thread.sleep(100);
            assertThat(waiting).isNotDone();
            service.send("q", bytes("hi"), Optional.empty());
            List<Message> got = waiting.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(got).hasSize(1);

            Future<List<Message>> again = executor.submit(
                    () -> service.receive("q", 10, Duration.ofSeconds(20), Optional.empty()));
            Thread.sleep(100);
            assertThat(again).isNotDone();
            service.changeVisibility("q", got.getFirst().receiptHandle(), Duration.ZERO);
            assertThat(again.get(5, java.util.concurrent.TimeUnit.SECONDS).getFirst().receiveCount()).isEqualTo(2);
        }
    }
}
