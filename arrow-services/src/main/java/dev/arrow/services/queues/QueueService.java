package dev.arrow.services.queues;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.services.QueueFullException;
import dev.arrow.services.ReceiptHandleInvalidException;
import dev.arrow.services.StoreExistsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Queues with SQS semantics and the rules every implementation shares: what names, bodies, counts
 * and durations may be, the errors a caller gets, and long polling. The store ({@link QueueStore})
 * keeps the messages and checks caps and receipt handles atomically.
 *
 * <ul>
 *   <li>queue names: as arrow names, 1 to 63 of {@code a-z 0-9 -}, not starting or ending with '-';
 *   <li>bodies: 1 byte to the queue's {@code maxMessageBytes} (at most 256 KiB);
 *   <li>a receive takes 1 to {@value #MAX_RECEIVE} messages, waits 0 to 20 s, and hides them for 0 s to 12 h;
 *   <li>a send's delay: 0 to 15 min.
 * </ul>
 *
 * <p>Long polling: a receive that finds nothing waits on its queue's signal, which this service's
 * sends, changes of visibility and redrives fire, and otherwise sleeps until the earliest time a
 * message of the queue becomes visible (a delay or a visibility timeout ending), bounded by its
 * wait; it never polls the store in a loop. The wait is a {@link Condition}'s, so a virtual thread
 * waiting unmounts, and an interrupt ends it (the receive then answers no messages, the thread's
 * interrupt status set). The wait ends by the injected clock or by the real time elapsed, whichever
 * comes first. Sends made by another process (another node) wake no one here: their messages are
 * found at the waits' ends.
 */
public final class QueueService {

    public static final int MAX_RECEIVE = 10;
    public static final Duration MAX_WAIT = Duration.ofSeconds(20);

    private final QueueStore store;
    private final Clock clock;
    private final ConcurrentHashMap<String, Signal> signals = new ConcurrentHashMap<>();

    public QueueService(QueueStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Every queue, by name, with its figures. */
    public List<QueueInfo> queues() {
        return store.queues(clock.instant());
    }

    /** A queue's options and figures: depth, in flight, delayed, age of the oldest message. */
    public QueueInfo info(String queue) {
        requireQueueName(queue);
        return store.queue(queue, clock.instant()).orElseThrow(() -> noQueue(queue));
    }

    /**
     * Makes a queue with {@code options}; answers an existing one with the same options as it is
     * ({@code created} false), so that a create can be retried.
     *
     * @throws StoreExistsException the queue exists with other options
     */
    public QueueStore.Created create(String queue, QueueOptions options) {
        requireQueueName(queue);
        Objects.requireNonNull(options, "options");
        if (options.deadLetterQueue().filter(queue::equals).isPresent()) {
            throw new InvalidInputException("deadLetterQueue", "a queue cannot be its own dead-letter queue");
        }
        QueueStore.Created result = store.create(queue, options, clock.instant());
        if (!result.created() && !result.queue().options().equals(options)) {
            throw new StoreExistsException(queue, "the queue '" + queue + "' exists with other options ("
                    + result.queue().options() + "): delete it first to make it with these");
        }
        return result;
    }

    public void deleteQueue(String queue) {
        requireQueueName(queue);
        if (!store.deleteQueue(queue)) {
            throw noQueue(queue);
        }
        Signal signal = signals.remove(queue);
        if (signal != null) {
            signal.fire(); // its waiters find the queue gone
        }
    }

    /**
     * Sends a message, making the queue with the default options on its first send.
     *
     * @param delay how long it stays invisible (0 to 15 min), or empty for the queue's delay
     * @throws QueueFullException the queue holds its maxMessages
     */
    public QueueStore.SendResult.Sent send(String queue, byte[] body, Optional<Duration> delay) {
        requireQueueName(queue);
        Objects.requireNonNull(body, "body");
        if (body.length == 0) {
            throw new InvalidInputException("body", "a message body is 1 byte at least");
        }
        if (body.length > QueueOptions.MAX_MESSAGE_BYTES) {
            throw new InvalidInputException("body", "a message body is at most 256 KiB (" + QueueOptions.MAX_MESSAGE_BYTES
                    + " bytes), not " + body.length + " bytes");
        }
        delay.ifPresent(d -> QueueOptions.requireDelay(d, "delay"));
        return switch (store.send(queue, body, delay, QueueOptions.DEFAULT, clock.instant())) {
            case QueueStore.SendResult.Sent sent -> {
                wake(queue);
                yield sent;
            }
            case QueueStore.SendResult.TooLarge large -> throw new InvalidInputException("body", "a message body in the"
                    + " queue '" + queue + "' is at most " + large.queue().options().maxMessageBytes() + " bytes, not "
                    + body.length);
            case QueueStore.SendResult.QueueFull full -> throw new QueueFullException("the queue '" + queue
                    + "' holds its maximum of " + full.queue().options().maxMessages() + " messages: receive and"
                    + " delete some first", full.queue().options().maxMessages());
        };
    }

    /**
     * Receives up to {@code max} messages, waiting up to {@code wait} for the first one to be
     * visible: answers as soon as there is one, or with none when the wait ends (at once for a wait
     * of 0).
     *
     * @param visibility how long the messages stay invisible (0 s to 12 h), or empty for the queue's timeout
     */
    public List<Message> receive(String queue, int max, Duration wait, Optional<Duration> visibility) {
        requireQueueName(queue);
        if (max < 1 || max > MAX_RECEIVE) {
            throw new InvalidInputException("maxMessages", "a receive takes 1 to " + MAX_RECEIVE
                    + " messages, not " + max);
        }
        Objects.requireNonNull(wait, "wait");
        if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
            throw new InvalidInputException("waitTime", "a receive waits 0s to 20s, not " + describe(wait));
        }
        visibility.ifPresent(v -> QueueOptions.requireVisibility(v, "visibilityTimeout"));
        long startNanos = System.nanoTime();
        Instant deadline = clock.instant().plus(wait);
        Signal signal = null;
        while (true) {
            long seen = signal == null ? 0 : signal.generation();
            Instant now = clock.instant();
            List<Message> got = store.receive(queue, max, visibility, now).orElseThrow(() -> noQueue(queue));
            if (!got.isEmpty()) {
                return got;
            }
            long left = Math.min(wait.toNanos() - (System.nanoTime() - startNanos), nanosBetween(now, deadline));
            if (left <= 0) {
                return got;
            }
            if (signal == null) {
                // The first wait: take the signal, and look again, so that a send between the
                // receive above and now is not missed.
                signal = signal(queue);
                continue;
            }
            Optional<Instant> next = store.nextVisibleAt(queue, now);
            if (next.isPresent()) {
                left = Math.min(left, Math.max(TimeUnit.MILLISECONDS.toNanos(1), nanosBetween(now, next.get())));
            }
            try {
                signal.await(seen, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            }
        }
    }

    /**
     * Deletes (acknowledges) the message of a receipt handle. A handle of a message deleted already
     * (or past its retention) is accepted, as SQS does, so that a delete can be retried.
     *
     * @throws ReceiptHandleInvalidException the handle is malformed, of another queue, or stale: the
     *                                       message was received again since
     */
    public void delete(String queue, String receiptHandle) {
        requireQueueName(queue);
        ReceiptHandle handle = handle(queue, receiptHandle);
        switch (store.delete(queue, handle, clock.instant())) {
            case QueueStore.HandleResult.Done _, QueueStore.HandleResult.Gone _ -> { }
            case QueueStore.HandleResult.NoQueue _ -> throw noQueue(queue);
            case QueueStore.HandleResult.Stale _ -> throw stale(queue);
            case QueueStore.HandleResult.NotInFlight _ -> throw stale(queue);
        }
    }

    /**
     * Makes an in-flight message visible {@code visibility} from now (0: at once).
     *
     * @throws ReceiptHandleInvalidException the handle is malformed, of another queue or stale, or
     *                                       its message is not in flight any more
     */
    public void changeVisibility(String queue, String receiptHandle, Duration visibility) {
        requireQueueName(queue);
        ReceiptHandle handle = handle(queue, receiptHandle);
        Objects.requireNonNull(visibility, "visibility");
        QueueOptions.requireVisibility(visibility, "visibilityTimeout");
        switch (store.changeVisibility(queue, handle, visibility, clock.instant())) {
            case QueueStore.HandleResult.Done _ -> wake(queue);
            case QueueStore.HandleResult.NoQueue _ -> throw noQueue(queue);
            case QueueStore.HandleResult.Stale _ -> throw stale(queue);
            case QueueStore.HandleResult.Gone _ -> throw new ReceiptHandleInvalidException(queue, "the message of this"
                    + " receipt handle is no longer in the queue '" + queue + "'");
            case QueueStore.HandleResult.NotInFlight _ -> throw new ReceiptHandleInvalidException(queue, "the message"
                    + " of this receipt handle is not in flight: its visibility timeout has ended");
        }
    }

    /** Deletes every message of a queue; returns how many. */
    public long purge(String queue) {
        requireQueueName(queue);
        return store.purge(queue, clock.instant()).orElseThrow(() -> noQueue(queue));
    }

    /** Moves every message of a dead-letter queue back to the queue it came from; returns how many. */
    public long redrive(String deadLetterQueue) {
        requireQueueName(deadLetterQueue);
        long moved = store.redrive(deadLetterQueue, clock.instant()).orElseThrow(() -> noQueue(deadLetterQueue));
        if (moved > 0) {
            signals.values().forEach(Signal::fire); // the sources are not named here: wake every waiter to look
        }
        return moved;
    }

    /** Checks a queue name, naming {@code queue} as the field. */
    public static String requireQueueName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("queue", "a queue name is required");
        }
        if (!ArrowName.isValid(name)) {
            throw new InvalidInputException("queue", "'" + shorten(name) + "' is not a valid queue name: use 1 to 63"
                    + " lowercase letters, digits and '-', starting and ending with a letter or digit");
        }
        return name;
    }

    private static ReceiptHandle handle(String queue, String text) {
        ReceiptHandle handle = ReceiptHandle.decode(text).orElseThrow(() -> new ReceiptHandleInvalidException(queue,
                "this is not a receipt handle: pass the receiptHandle of a received message as it is"));
        if (!handle.queue().equals(queue)) {
            throw new ReceiptHandleInvalidException(queue, "this receipt handle is of another queue, not of '" + queue
                    + "'");
        }
        return handle;
    }

    private static ReceiptHandleInvalidException stale(String queue) {
        return new ReceiptHandleInvalidException(queue, "this receipt handle is stale: its message in the queue '"
                + queue + "' was received again since, and only the latest receive's handle deletes it");
    }

    private void wake(String queue) {
        Signal signal = signals.get(queue);
        if (signal != null) {
            signal.fire();
        }
    }

    private Signal signal(String queue) {
        return signals.computeIfAbsent(queue, _ -> new Signal());
    }

    private static long nanosBetween(Instant from, Instant to) {
        try {
            return Duration.between(from, to).toNanos();
        } catch (ArithmeticException e) {
            return from.isBefore(to) ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
    }

    private static NotFoundException noQueue(String name) {
        return new NotFoundException("queue", name);
    }

    static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }

    static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    /** A queue's wake-up: a generation number that every change that may make a message visible bumps. */
    private static final class Signal {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private long generation;

        long generation() {
            lock.lock();
            try {
                return generation;
            } finally {
                lock.unlock();
            }
        }

        void fire() {
            lock.lock();
            try {
                generation++;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Waits until the generation passes {@code seen} or {@code nanos} have gone by. */
        void await(long seen, long nanos) throws InterruptedException {
            lock.lock();
            try {
                while (generation == seen && nanos > 0) {
                    nanos = changed.awaitNanos(nanos);
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
