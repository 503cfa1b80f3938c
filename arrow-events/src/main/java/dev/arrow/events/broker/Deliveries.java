package dev.arrow.events.broker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.events.triggers.DeliveryPolicy;
import dev.arrow.events.triggers.Trigger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * Delivers what the broker stored, at least once: one thread finds the deliveries due and starts
 * each on a virtual thread, at most {@code concurrency} at a time (a flood waits in the store, it
 * does not spawn without bound); an arrow at capacity defers its event without counting a failure.
 * A failure is retried after the trigger's backoff until its attempts or maximum age run out; then
 * the event goes to the trigger's dead-letter queue, or the node's, as a message holding the event
 * and why it failed. Nothing is dropped: even an event whose trigger is gone is dead-lettered.
 */
public final class Deliveries implements AutoCloseable {

    /** Where dead letters go: a queue of the services (its send, synced before it returns). */
    @FunctionalInterface
    public interface DeadLetters {
        /** Sends {@code body} to {@code queue}, making it if need be; the message's id. */
        String send(String queue, byte[] body);
    }

    /** The node's dead-letter queue, for triggers that name none. */
    public static final String NODE_DEAD_LETTERS = "arrow-dead-letters";

    private static final Logger LOG = Logger.getLogger(Deliveries.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration IDLE_CHECK = Duration.ofSeconds(30);
    private static final Duration BUSY_RETRY = Duration.ofMillis(200);
    /** How often due deliveries are looked for while those found were all running already. */
    private static final Duration RUNNING_CHECK = Duration.ofSeconds(1);

    private final EventLog log;
    private final TriggerRegistry triggers;
    private final ArrowCaller caller;
    private final DeadLetters deadLetters;
    private final Clock clock;
    private final RandomGenerator random;
    private final Semaphore slots;
    private final int concurrency;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Set<Long> inFlight = new HashSet<>(); // guarded by lock
    private final Set<String> serialsInFlight = new HashSet<>(); // guarded by lock
    // Deliveries that ended while the loop was reading what is due: the read may show them pending still.
    private final Set<Long> endedWhileReading = new HashSet<>(); // guarded by lock
    private boolean wakeUp; // guarded by lock
    private boolean closed; // guarded by lock
    private Broker replies;
    private Thread loop;
    private long deadLettered; // guarded by lock

    public Deliveries(EventLog log, TriggerRegistry triggers, ArrowCaller caller, DeadLetters deadLetters, Clock clock,
            RandomGenerator random, int concurrency) {
        this.log = log;
        this.triggers = triggers;
        this.caller = caller;
        this.deadLetters = deadLetters;
        this.clock = clock;
        this.random = random;
        this.concurrency = concurrency;
        this.slots = new Semaphore(concurrency);
    }

    /** Starts the loop; events an arrow answers with go to {@code replies}. */
    public void start(Broker replies) {
        this.replies = replies;
        loop = Thread.ofPlatform().name("arrow-events-delivery").daemon().start(this::run);
    }

    /** Something may be due now (an append, a restart). */
    public void wake() {
        lock.lock();
        try {
            wakeUp = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Events dead-lettered since the node started. */
    public long deadLettered() {
        lock.lock();
        try {
            return deadLettered;
        } finally {
            lock.unlock();
        }
    }

    /** Deliveries running now. */
    public int running() {
        return concurrency - slots.availablePermits();
    }

    private void run() {
        boolean claimedAny = true;
        while (true) {
            try {
                if (!awaitWork(claimedAny)) {
                    return;
                }
                claimedAny = false;
                lock.lock();
                try {
                    endedWhileReading.clear();
                } finally {
                    lock.unlock();
                }
                List<Delivery> due = log.due(clock.instant(), concurrency * 2);
                for (Delivery delivery : due) {
                    if (!claim(delivery)) {
                        continue;
                    }
                    claimedAny = true;
                    slots.acquire();
                    Thread.ofVirtual().name("arrow-events-deliver").start(() -> {
                        try {
                            deliver(delivery);
                        } finally {
                            release(delivery);
                            slots.release();
                        }
                    });
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the event deliveries' loop: " + e.getMessage(), e);
                sleepQuietly(Duration.ofSeconds(1)); // a failing store is not spun on
            }
        }
    }

    /**
     * Waits until something may be due; false once closed. After a pass that claimed nothing (all
     * that was due is running, or its serial twin is), a wake-up or a short pause ends the wait.
     */
    private boolean awaitWork(boolean claimedLastPass) throws InterruptedException {
        lock.lock();
        try {
            if (!claimedLastPass && !wakeUp && !closed) {
                changed.awaitNanos(RUNNING_CHECK.toNanos());
            }
            while (!closed && !wakeUp) {
                Instant now = clock.instant();
                Optional<Instant> next = log.nextDue();
                if (next.isPresent() && !next.get().isAfter(now) && inFlight.size() < concurrency) {
                    break;
                }
                Duration wait = next.map(at -> Duration.between(now, at)).filter(d -> d.isPositive()).orElse(IDLE_CHECK);
                changed.awaitNanos(Math.min(wait.toNanos(), IDLE_CHECK.toNanos()));
            }
            wakeUp = false;
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    private boolean claim(Delivery delivery) {
        lock.lock();
        try {
            if (inFlight.contains(delivery.id()) || endedWhileReading.contains(delivery.id())
                    || delivery.serialKey().map(serialsInFlight::contains).orElse(false)) {
                return false;
            }
            inFlight.add(delivery.id());
            delivery.serialKey().ifPresent(serialsInFlight::add);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void release(Delivery delivery) {
        lock.lock();
        try {
            inFlight.remove(delivery.id());
            endedWhileReading.add(delivery.id());
            delivery.serialKey().ifPresent(serialsInFlight::remove);
            wakeUp = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void deliver(Delivery delivery) {
        Optional<Trigger> trigger = triggers.get(delivery.arrow(), delivery.trigger());
        DeliveryPolicy policy = trigger.filter(Trigger.Delivered.class::isInstance)
                .map(t -> ((Trigger.Delivered) t).delivery()).orElse(DeliveryPolicy.DEFAULT);
        try {
            if (trigger.isEmpty() || !(trigger.get() instanceof Trigger.Delivered)) {
                deadLetter(delivery, policy, "the arrow " + delivery.arrow() + " no longer has trigger " + delivery.trigger());
                return;
            }
            switch (caller.call(delivery.arrow(), trigger.get(), delivery.event())) {
                case ArrowCaller.Outcome.Succeeded succeeded -> {
                    log.settle(delivery.id(), new Settlement.Delivered(clock.instant()));
                    succeeded.reply().ifPresent(reply -> replies.publish(List.of(reply)));
                }
                case ArrowCaller.Outcome.Busy busy ->
                        log.settle(delivery.id(), new Settlement.Deferred(clock.instant().plus(BUSY_RETRY)));
                case ArrowCaller.Outcome.Failed failed -> failed(delivery, policy, failed.error());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the node is stopping: the delivery stays pending, tried after restart
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "delivering event " + delivery.event().id() + " to " + delivery.arrow() + ": " + e, e);
            try {
                failed(delivery, policy, "the node failed to deliver: " + e.getMessage());
            } catch (RuntimeException again) {
                LOG.log(Level.WARNING, "recording a failed delivery: " + again, again); // still pending: tried again later
            }
        }
    }

    private void failed(Delivery delivery, DeliveryPolicy policy, String error) {
        Instant now = clock.instant();
        int failures = delivery.failures() + 1;
        Duration age = Duration.between(delivery.event().acceptedAt(), now);
        if (policy.retries(failures, age)) {
            log.settle(delivery.id(), new Settlement.RetryLater(now.plus(policy.backoff(failures, random)), error));
        } else {
            deadLetter(delivery, policy, error);
        }
    }

    private void deadLetter(Delivery delivery, DeliveryPolicy policy, String error) {
        String queue = policy.deadLetterQueue().orElse(NODE_DEAD_LETTERS);
        ObjectNode letter = JSON.createObjectNode();
        letter.put("arrow", delivery.arrow()).put("trigger", delivery.trigger()).put("attempts", delivery.failures() + 1)
                .put("error", error).put("deadLetteredAt", clock.instant().toString());
        try {
            letter.set("event", JSON.readTree(delivery.event().structured()));
            String id = deadLetters.send(queue, JSON.writeValueAsBytes(letter));
            log.settle(delivery.id(), new Settlement.DeadLettered(clock.instant(), error, queue, id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lock.lock();
        try {
            deadLettered++;
        } finally {
            lock.unlock();
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (loop != null) {
            loop.interrupt();
            try {
                loop.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
