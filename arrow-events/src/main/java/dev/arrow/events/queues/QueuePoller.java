package dev.arrow.events.queues;

import dev.arrow.events.broker.ArrowRunner;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.platform.NotFoundException;
import dev.arrow.services.ReceiptHandleInvalidException;
import dev.arrow.services.queues.Message;
import dev.arrow.services.queues.QueueService;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * Delivers one queue trigger's messages to its arrow: a named virtual thread long-polls the queue
 * for up to {@code batchSize} messages (waiting up to {@code batchWindow} to fill a batch), and
 * each batch runs the arrow once on a thread of its own, at most {@code concurrency} at a time.
 *
 * <p>A success deletes the batch's messages, except those the answer names in
 * {@code batchItemFailures}; a failure deletes none: they come back when their visibility timeout
 * ends, and the queue's maxReceiveCount sends them to its dead-letter queue. When the arrow answers
 * busy (at its capacity), the batch is held and run again once another batch ends or after a short
 * backoff, its visibility extended meanwhile, and nothing more is received until it ran: the
 * messages wait in the queue, none is dropped or counted as failed.
 */
public final class QueuePoller implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(QueuePoller.class.getName());
    private static final Map<String, String> HEADERS = Map.of("content-type", "application/json");
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /** How long to wait: for a queue not made yet, and between runs of a batch the arrow was too busy for. */
    record Pauses(Duration absentQueue, Duration busyFirst, Duration busyMax) {
        static final Pauses DEFAULT = new Pauses(Duration.ofSeconds(1), Duration.ofMillis(20), Duration.ofSeconds(1));
    }

    private final String arrow;
    private final Trigger.Queue trigger;
    private final QueueService queues;
    private final ArrowRunner runner;
    private final Clock clock;
    private final Pauses pauses;
    private final Semaphore slots;
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile Instant lastBatch;
    private final Thread loop;
    private int busy;
    private long ended;
    private volatile boolean closed;

    QueuePoller(String arrow, Trigger.Queue trigger, int concurrency, QueueService queues, ArrowRunner runner,
            Clock clock, Pauses pauses) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be 1 at least");
        }
        this.arrow = Objects.requireNonNull(arrow, "arrow");
        this.trigger = Objects.requireNonNull(trigger, "trigger");
        this.queues = Objects.requireNonNull(queues, "queues");
        this.runner = Objects.requireNonNull(runner, "runner");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pauses = pauses;
        this.slots = new Semaphore(concurrency);
        this.loop = Thread.ofVirtual().name("arrow-queue-poller-" + arrow + "-" + trigger.queue()).unstarted(this::poll);
    }

    /** Starts polling {@code trigger}'s queue for {@code arrow}, at most {@code concurrency} batches at a time. */
    public static QueuePoller start(String arrow, Trigger.Queue trigger, int concurrency, QueueService queues,
            ArrowRunner runner, Clock clock) {
        return start(arrow, trigger, concurrency, queues, runner, clock, Pauses.DEFAULT);
    }

    static QueuePoller start(String arrow, Trigger.Queue trigger, int concurrency, QueueService queues,
            ArrowRunner runner, Clock clock, Pauses pauses) {
        var poller = new QueuePoller(arrow, trigger, concurrency, queues, runner, clock, pauses);
        poller.loop.start();
        return poller;
    }

    public String arrow() {
        return arrow;
    }

    public Trigger.Queue trigger() {
        return trigger;
    }

    /** Batches run so far (busy answers not counted). */
    public long batches() {
        return batches.get();
    }

    /** When the arrow last ran a batch; empty before the first. */
    public Optional<Instant> lastBatch() {
        return Optional.ofNullable(lastBatch);
    }

    /** Batches that failed whole or in part. */
    public long failures() {
        return failures.get();
    }

    /**
     * Stops receiving and ends the batches running now: an interrupted batch's messages are left to
     * their visibility timeout. Waits a while for the threads to end (a run that does not heed the
     * interrupt is left to end on its own).
     */
    @Override
    public void close() {
        closed = true;
        loop.interrupt();
        running.forEach(Thread::interrupt);
        try {
            long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
            loop.join(CLOSE_WAIT);
            for (Thread thread : List.copyOf(running)) {
                thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void poll() {
        while (!closed) {
            try {
                slots.acquire();
                boolean handedOver = false;
                try {
                    awaitNotBusy();
                    List<Message> batch = receive();
                    if (!batch.isEmpty()) {
                        Thread thread = Thread.ofVirtual().name("arrow-queue-batch-" + arrow + "-" + trigger.queue())
                                .unstarted(() -> {
                                    try {
                                        deliver(batch);
                                    } finally {
                                        running.remove(Thread.currentThread());
                                        slots.release();
                                        batchEnded();
                                    }
                                });
                        running.add(thread);
                        handedOver = true;
                        thread.start();
                    }
                } finally {
                    if (!handedOver) {
                        slots.release();
                    }
                }
            } catch (InterruptedException e) {
                // closing, or a batch found the arrow busy: look at the gate again
                continue;
            } catch (NotFoundException e) {
                pause(pauses.absentQueue()); // bound but not made yet: its first send makes it
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "queue trigger " + arrow + "/" + trigger.queue() + ": " + e.getMessage(), e);
                pause(pauses.absentQueue());
            }
        }
    }

    /** Up to batchSize messages: waits for the first, then up to the batch window for the rest. */
    private List<Message> receive() {
        int size = trigger.batchSize();
        var got = new ArrayList<>(queues.receive(trigger.queue(), size, QueueService.MAX_WAIT, Optional.empty()));
        if (got.isEmpty() || got.size() >= size || !trigger.batchWindow().isPositive()) {
            return got;
        }
        Instant deadline = clock.instant().plus(trigger.batchWindow());
        while (got.size() < size && !closed && !Thread.currentThread().isInterrupted()) {
            Duration left = Duration.between(clock.instant(), deadline);
            if (!left.isPositive()) {
                break;
            }
            Duration wait = left.compareTo(QueueService.MAX_WAIT) > 0 ? QueueService.MAX_WAIT : left;
            got.addAll(queues.receive(trigger.queue(), size - got.size(), wait, Optional.empty()));
        }
        return got;
    }

    private void deliver(List<Message> received) {
        var held = new ArrayList<Held>();
        Instant at = clock.instant();
        received.forEach(message -> held.add(new Held(message, at, message.invisibleUntil())));
        Duration backoff = pauses.busyFirst();
        boolean markedBusy = false;
        try {
            while (!held.isEmpty()) {
                List<Message> batch = held.stream().map(Held::message).toList();
                ArrowRunner.Result result;
                try {
                    result = runner.run(arrow, dev.arrow.platform.invocations.Trigger.QUEUE, HEADERS,
                            QueueBatch.event(trigger.queue(), batch));
                } catch (RuntimeException e) {
                    result = new ArrowRunner.Result.Failed(e.toString());
                }
                switch (result) {
                    case ArrowRunner.Result.Busy() -> {
                        if (!markedBusy) {
                            markedBusy = true;
                            busy(+1);
                        }
                        awaitEnd(backoff);
                        backoff = backoff.multipliedBy(2).compareTo(pauses.busyMax()) > 0 ? pauses.busyMax()
                                : backoff.multipliedBy(2);
                        keepInvisible(held);
                    }
                    case ArrowRunner.Result.Failed(String error) -> {
                        lastBatch = clock.instant();
                        batches.incrementAndGet();
                        failures.incrementAndGet();
                        LOG.log(Level.INFO, "queue trigger " + arrow + "/" + trigger.queue() + ": a batch of "
                                + batch.size() + " failed, left to the queue's visibility timeout: " + error);
                        return;
                    }
                    case ArrowRunner.Result.Succeeded(byte[] body, Map<String, String> headers) -> {
                        lastBatch = clock.instant();
                        batches.incrementAndGet();
                        Set<String> ids = batch.stream().map(Message::id).collect(Collectors.toCollection(LinkedHashSet::new));
                        Set<String> failed = QueueBatch.failures(body, ids);
                        if (!failed.isEmpty()) {
                            failures.incrementAndGet();
                        }
                        for (Message message : batch) {
                            if (!failed.contains(message.id())) {
                                delete(message);
                            }
                        }
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            // closing: the messages come back after their visibility timeout
        } finally {
            if (markedBusy) {
                busy(-1);
            }
        }
    }

    private void delete(Message message) {
        try {
            queues.delete(trigger.queue(), message.receiptHandle());
        } catch (ReceiptHandleInvalidException | NotFoundException e) {
            // received again since (its visibility ended first) or the queue is gone: not ours to delete now
            LOG.log(Level.DEBUG, "queue trigger " + arrow + "/" + trigger.queue() + ": " + e.getMessage());
        }
    }

    /** Extends held messages past half their visibility; drops those that are not ours any more. */
    private void keepInvisible(List<Held> held) {
        Instant now = clock.instant();
        for (int i = held.size() - 1; i >= 0; i--) {
            Held h = held.get(i);
            Duration span = Duration.between(h.receivedAt(), h.message().invisibleUntil());
            if (now.isBefore(h.until().minus(span.dividedBy(2)))) {
                continue;
            }
            try {
                queues.changeVisibility(trigger.queue(), h.message().receiptHandle(), span);
                held.set(i, new Held(h.message(), h.receivedAt(), now.plus(span)));
            } catch (ReceiptHandleInvalidException | NotFoundException e) {
                held.remove(i);
            }
        }
    }

    private record Held(Message message, Instant receivedAt, Instant until) {
    }

    private void busy(int delta) {
        boolean first;
        lock.lock();
        try {
            first = busy == 0 && delta > 0;
            busy += delta;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (first) {
            loop.interrupt(); // a receive long-polling now would take messages the arrow cannot run
        }
    }

    private void batchEnded() {
        lock.lock();
        try {
            ended++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits while a batch is held for a busy arrow: nothing more is received meanwhile. */
    private void awaitNotBusy() throws InterruptedException {
        lock.lock();
        try {
            while (busy > 0 && !closed) {
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until another batch of this trigger ends (capacity freed) or {@code most} has gone by. */
    private void awaitEnd(Duration most) throws InterruptedException {
        lock.lock();
        try {
            long seen = ended;
            long nanos = most.toNanos();
            while (ended == seen && nanos > 0 && !closed) {
                nanos = changed.awaitNanos(nanos);
            }
            if (closed) {
                throw new InterruptedException();
            }
        } finally {
            lock.unlock();
        }
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            // closing, or a batch found the arrow busy: the loop looks again
        }
    }
}
