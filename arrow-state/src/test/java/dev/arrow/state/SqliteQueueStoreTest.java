package dev.arrow.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.services.ReceiptHandleInvalidException;
import dev.arrow.services.queues.Message;
import dev.arrow.services.queues.QueueInfo;
import dev.arrow.services.queues.QueueOptions;
import dev.arrow.services.queues.QueueService;
import dev.arrow.services.queues.QueueStore;
import dev.arrow.services.queues.QueueStore.HandleResult;
import dev.arrow.services.queues.QueueStore.SendResult;
import dev.arrow.services.queues.ReceiptHandle;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteQueueStoreTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00.123456789Z");
    private static final QueueOptions DEFAULTS = QueueOptions.DEFAULT;

    @TempDir
    Path dir;

    private SqliteState state;
    private QueueStore queues;

    @BeforeEach
    void open() {
        state = SqliteState.open(dir.resolve("state.db"));
        queues = state.queues();
    }

    @AfterEach
    void close() {
        state.close();
    }

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    private SendResult.Sent send(String queue, String body, Instant now) {
        SendResult result = queues.send(queue, body.getBytes(UTF_8), Optional.empty(), DEFAULTS, now);
        assertThat(result).isInstanceOf(SendResult.Sent.class);
        return (SendResult.Sent) result;
    }

    private List<Message> receive(String queue, int max, Instant now) {
        return queues.receive(queue, max, Optional.empty(), now).orElseThrow();
    }

    private static ReceiptHandle handle(Message message) {
        return ReceiptHandle.decode(message.receiptHandle()).orElseThrow();
    }

    private static String body(Message message) {
        return new String(message.body(), UTF_8);
    }

    @Test
    void aSentMessageIsReceivedOnceThenDeletedAndSurvivesReopening() {
        SendResult.Sent sent = send("q", "hello", at(0));
        assertThat(sent.queueCreated()).isTrue();
        assertThat(send("q", "world", at(1)).queueCreated()).isFalse();

        state.close();
        state = SqliteState.open(dir.resolve("state.db"));
        queues = state.queues();

        List<Message> got = receive("q", 10, at(2));
        assertThat(got).extracting(SqliteQueueStoreTest::body).containsExactly("hello", "world");
        Message first = got.getFirst();
        assertThat(first.id()).isEqualTo(sent.id());
        assertThat(first.receiveCount()).isEqualTo(1);
        assertThat(first.sentAt()).isEqualTo(at(0));
        assertThat(first.firstReceivedAt()).isEqualTo(at(2));
        assertThat(first.invisibleUntil()).isEqualTo(at(32));
        assertThat(receive("q", 10, at(3))).isEmpty(); // in flight

        assertThat(queues.delete("q", handle(first), at(4))).isEqualTo(new HandleResult.Done());
        assertThat(queues.delete("q", handle(first), at(4))).isEqualTo(new HandleResult.Gone());
        QueueInfo info = queues.queue("q", at(5)).orElseThrow();
        assertThat(info.inFlight()).isEqualTo(1);
        assertThat(info.visible()).isZero();
        assertThat(queues.receive("none", 1, Optional.empty(), at(5))).isEmpty();
    }

    @Test
    void anExpiredVisibilityRedeliversWithAHigherCountAndTheOldHandleIsStale() {
        send("q", "m", at(0));
        Message first = receive("q", 1, at(1)).getFirst();
        assertThat(receive("q", 1, at(30))).isEmpty();
        Message second = receive("q", 1, at(31)).getFirst();
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.receiveCount()).isEqualTo(2);
        assertThat(second.firstReceivedAt()).isEqualTo(at(1));
        assertThat(second.receiptHandle()).isNotEqualTo(first.receiptHandle());

        assertThat(queues.delete("q", handle(first), at(32))).isEqualTo(new HandleResult.Stale());
        assertThat(queues.changeVisibility("q", handle(first), Duration.ZERO, at(32)))
                .isEqualTo(new HandleResult.Stale());
        assertThat(queues.queue("q", at(32)).orElseThrow().inFlight()).isEqualTo(1);
        // A handle of another queue, or a forged token, changes nothing either.
        send("other", "x", at(0));
        assertThat(queues.delete("other", handle(second), at(32))).isEqualTo(new HandleResult.Stale());
        var forged = new ReceiptHandle("q", second.id(), ReceiptHandle.newToken());
        assertThat(queues.delete("q", forged, at(32))).isEqualTo(new HandleResult.Stale());
        assertThat(queues.delete("q", handle(second), at(32))).isEqualTo(new HandleResult.Done());
    }

    @Test
    void changeVisibilityHidesLongerOrReleasesAtOnce() {
        send("q", "m", at(0));
        Message got = receive("q", 1, at(0)).getFirst();
        assertThat(queues.changeVisibility("q", handle(got), Duration.ofSeconds(100), at(10)))
                .isEqualTo(new HandleResult.Done());
        assertThat(receive("q", 1, at(50))).isEmpty();
        assertThat(queues.nextVisibleAt("q", at(50))).contains(at(110));
        assertThat(receive("q", 1, at(110))).hasSize(1);

        Message again = receive("q", 1, at(500)).getFirst();
        assertThat(queues.changeVisibility("q", handle(again), Duration.ZERO, at(501)))
                .isEqualTo(new HandleResult.Done());
        assertThat(queues.changeVisibility("q", handle(again), Duration.ofSeconds(5), at(502)))
                .isEqualTo(new HandleResult.NotInFlight());
        assertThat(receive("q", 1, at(502)).getFirst().receiveCount()).isEqualTo(4);
    }

    @Test
    void aDelayedMessageIsHiddenUntilItsDelayEnds() {
        queues.send("q", "later".getBytes(UTF_8), Optional.of(Duration.ofSeconds(60)), DEFAULTS, at(0));
        send("q", "now", at(1));
        QueueInfo info = queues.queue("q", at(2)).orElseThrow();
        assertThat(info.delayed()).isEqualTo(1);
        assertThat(info.visible()).isEqualTo(1);
        Message now = receive("q", 10, at(2)).getFirst();
        assertThat(body(now)).isEqualTo("now");
        assertThat(queues.nextVisibleAt("q", at(2))).contains(at(32)); // "now"'s visibility ends first
        queues.delete("q", handle(now), at(3));
        assertThat(queues.nextVisibleAt("q", at(3))).contains(at(60));
        assertThat(receive("q", 10, at(60))).extracting(SqliteQueueStoreTest::body).containsExactly("later");

        // A queue's own delay applies when the send gives none.
        queues.create("slow", DEFAULTS.withDelay(Duration.ofSeconds(10)), at(0));
        send("slow", "x", at(0));
        assertThat(receive("slow", 1, at(9))).isEmpty();
        assertThat(receive("slow", 1, at(10))).hasSize(1);
    }

    @Test
    void aMessageReceivedMoreThanMaxReceiveCountGoesToTheDeadLetterQueueAndRedriveBringsItBack() {
        queues.create("work", DEFAULTS.withVisibilityTimeout(Duration.ofSeconds(10)).withDeadLetterQueue("dead", 2),
                at(0));
        send("work", "poison", at(0));
        assertThat(receive("work", 1, at(1)).getFirst().receiveCount()).isEqualTo(1);
        assertThat(receive("work", 1, at(11)).getFirst().receiveCount()).isEqualTo(2);
        send("work", "fine", at(15));
        // The third receive of "poison" moves it (in the same transaction), and the receive goes on.
        List<Message> third = receive("work", 10, at(21));
        assertThat(third).extracting(SqliteQueueStoreTest::body).containsExactly("fine");
        assertThat(queues.queue("work", at(21)).orElseThrow().messages()).isEqualTo(1);

        QueueInfo dead = queues.queue("dead", at(21)).orElseThrow(); // made by the move, with the defaults
        assertThat(dead.visible()).isEqualTo(1);
        assertThat(dead.options()).isEqualTo(DEFAULTS);
        Message letter = receive("dead", 1, at(22)).getFirst();
        assertThat(body(letter)).isEqualTo("poison");
        assertThat(letter.receiveCount()).isEqualTo(3);
        assertThat(letter.deadLetterSource()).contains("work");
        assertThat(letter.sentAt()).isEqualTo(at(0));

        assertThat(queues.redrive("dead", at(23))).isEqualTo(OptionalLong.of(1));
        assertThat(queues.delete("dead", handle(letter), at(23))).isEqualTo(new HandleResult.Stale()); // moved
        assertThat(queues.queue("dead", at(23)).orElseThrow().messages()).isZero();
        Message back = receive("work", 10, at(23)).getFirst();
        assertThat(body(back)).isEqualTo("poison");
        assertThat(back.receiveCount()).isEqualTo(1);
        assertThat(back.firstReceivedAt()).isEqualTo(at(23));
        assertThat(back.deadLetterSource()).isEmpty();
        assertThat(queues.redrive("nowhere", at(23))).isEmpty();
    }

    @Test
    void purgeEmptiesAQueueAndFiguresCountItsMessages() {
        send("q", "a", at(0));
        send("q", "b", at(10));
        queues.send("q", "c".getBytes(UTF_8), Optional.of(Duration.ofSeconds(300)), DEFAULTS, at(20));
        receive("q", 1, at(30));
        QueueInfo info = queues.queue("q", at(40)).orElseThrow();
        assertThat(info.visible()).isEqualTo(1);
        assertThat(info.inFlight()).isEqualTo(1);
        assertThat(info.delayed()).isEqualTo(1);
        assertThat(info.oldestAge()).contains(Duration.ofSeconds(40));
        assertThat(queues.queues(at(40))).extracting(QueueInfo::name).containsExactly("q");

        assertThat(queues.purge("q", at(41))).isEqualTo(OptionalLong.of(3));
        info = queues.queue("q", at(41)).orElseThrow();
        assertThat(info.messages()).isZero();
        assertThat(info.oldestAge()).isEmpty();
        assertThat(queues.purge("none", at(41))).isEmpty();
    }

    @Test
    void messagesPastTheirRetentionAreGoneEverywhere() {
        queues.create("q", DEFAULTS.withRetention(Duration.ofSeconds(60)), at(0));
        send("q", "old", at(0));
        send("q", "new", at(30));
        Message old = receive("q", 1, at(1)).getFirst();
        assertThat(queues.queue("q", at(60)).orElseThrow().messages()).isEqualTo(1);
        assertThat(queues.delete("q", handle(old), at(60))).isEqualTo(new HandleResult.Gone());
        assertThat(receive("q", 10, at(61))).extracting(SqliteQueueStoreTest::body).containsExactly("new");
        assertThat(receive("q", 10, at(200))).isEmpty();
        assertThat(queues.queue("q", at(200)).orElseThrow().messages()).isZero();
    }

    @Test
    void capsAndSizesRefuseAndChangeNothing() {
        queues.create("q", DEFAULTS.withMaxMessages(2).withMaxMessageBytes(4), at(0));
        send("q", "a", at(0));
        assertThat(queues.send("q", "12345".getBytes(UTF_8), Optional.empty(), DEFAULTS, at(0)))
                .isInstanceOf(SendResult.TooLarge.class);
        send("q", "b", at(0));
        assertThat(queues.send("q", "c".getBytes(UTF_8), Optional.empty(), DEFAULTS, at(0)))
                .isInstanceOf(SendResult.QueueFull.class);
        assertThat(queues.queue("q", at(0)).orElseThrow().messages()).isEqualTo(2);
        assertThat(queues.create("q", DEFAULTS, at(0)).created()).isFalse();
    }

    @Test
    void inFlightMessagesComeBackAfterReopeningOnceTheirTimeoutEnds() {
        send("q", "a", at(0));
        send("q", "b", at(0));
        Message a = receive("q", 1, at(1)).getFirst();
        queues.delete("q", handle(a), at(2));
        Message b = receive("q", 1, at(3)).getFirst();

        state.close();
        state = SqliteState.open(dir.resolve("state.db"));
        queues = state.queues();

        assertThat(receive("q", 10, at(4))).isEmpty();
        Message again = receive("q", 10, at(33)).getFirst();
        assertThat(again.id()).isEqualTo(b.id());
        assertThat(again.receiveCount()).isEqualTo(2);
        assertThat(queues.delete("q", handle(b), at(34))).isEqualTo(new HandleResult.Stale());
    }

    @Test
    void concurrentReceiversNeverGetTheSameMessageWhileItIsInvisible() throws Exception {
        int messages = 300;
        for (int i = 0; i < messages; i++) {
            send("q", "m" + i, at(0));
        }
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        try (var executor = Executors.newFixedThreadPool(8)) {
            var futures = new ArrayList<Future<?>>();
            for (int t = 0; t < 8; t++) {
                futures.add(executor.submit(() -> {
                    while (true) {
                        List<Message> got = receive("q", 3, at(1));
                        if (got.isEmpty()) {
                            return null;
                        }
                        for (Message m : got) {
                            if (!seen.add(m.id())) {
                                duplicates.incrementAndGet();
                            }
                            if (m.id().hashCode() % 2 == 0) {
                                queues.delete("q", handle(m), at(1));
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        assertThat(duplicates).hasValue(0);
        assertThat(seen).hasSize(messages);
    }

    @Test
    void aLongPollIsWokenByASendFromAnotherThreadWellBeforeItsWaitEnds() throws Exception {
        var service = new QueueService(queues, Clock.systemUTC());
        service.create("q", DEFAULTS);
        var started = new CountDownLatch(1);
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<List<Message>> waiting = executor.submit(() -> {
                started.countDown();
                return service.receive("q", 10, Duration.ofSeconds(20), Optional.empty());
            });
            started.await();
            Thread.sleep(200);
            assertThat(waiting).isNotDone();
            long sentAt = System.nanoTime();
            service.send("q", "wake".getBytes(UTF_8), Optional.empty());
            List<Message> got = waiting.get();
            assertThat(Duration.ofNanos(System.nanoTime() - sentAt)).isLessThan(Duration.ofSeconds(2));
            assertThat(got).extracting(SqliteQueueStoreTest::body).containsExactly("wake");

            // A stale handle through the service: a clear error, nothing changed.
            service.changeVisibility("q", got.getFirst().receiptHandle(), Duration.ZERO);
            Message again = service.receive("q", 1, Duration.ZERO, Optional.empty()).getFirst();
            assertThatThrownBy(() -> service.delete("q", got.getFirst().receiptHandle()))
                    .isInstanceOf(ReceiptHandleInvalidException.class).hasMessageContaining("stale");
            service.delete("q", again.receiptHandle());
            assertThat(service.info("q").messages()).isZero();
        }
    }

    @Test
    void aLongPollWakesWhenADelayedMessageBecomesVisible() {
        var service = new QueueService(queues, Clock.systemUTC());
        service.send("q", "soon".getBytes(UTF_8), Optional.of(Duration.ofMillis(300)));
        long start = System.nanoTime();
        List<Message> got = service.receive("q", 1, Duration.ofSeconds(10), Optional.empty());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(got).hasSize(1);
        assertThat(took).isBetween(Duration.ofMillis(200), Duration.ofSeconds(3));
    }

    @Test
    void anInterruptEndsALongPoll() throws Exception {
        var service = new QueueService(queues, Clock.systemUTC());
        service.create("q", DEFAULTS);
        var result = new java.util.concurrent.atomic.AtomicReference<List<Message>>();
        Thread waiter = Thread.ofVirtual().start(() -> result.set(
                service.receive("q", 1, Duration.ofSeconds(20), Optional.empty())));
        Thread.sleep(200);
        waiter.interrupt();
        waiter.join(Duration.ofSeconds(5));
        assertThat(waiter.isAlive()).isFalse();
        assertThat(result.get()).isEmpty();
    }
}
