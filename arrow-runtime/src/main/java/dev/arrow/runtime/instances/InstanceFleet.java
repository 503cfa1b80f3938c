package dev.arrow.runtime.instances;

import dev.arrow.sandbox.SandboxResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The instances of one arrow revision, scaled by concurrency: a request takes a free slot of a
 * running instance; when requests in flight and waiting exceed {@code concurrency x instances}
 * (counting those starting), a waiting request starts one more, up to {@code maxInstances} and
 * the node's memory budget. Idle instances beyond {@code minInstances} are stopped after the
 * keep-alive ({@link #reapIdle()}, on the injected clock): with no traffic, the fleet goes to zero.
 * A crashed instance is dropped (its in-flight requests fail on their connections) and replaced
 * when the minimum or the demand asks for it.
 */
public final class InstanceFleet implements AutoCloseable {

    /** Starts one instance and returns it ready. */
    public interface Starter {
        Instance start(String id) throws InstanceStartException, InterruptedException;
    }

    private final String name;
    private final FleetPolicy policy;
    private final long memoryBytes;
    private final Starter starter;
    private final Clock clock;
    private final FleetEvents events;
    private final MemoryBudget budget;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Slot> slots = new ArrayList<>();  // oldest first: traffic packs onto old ones
    private final AtomicInteger sequence = new AtomicInteger();
    private int starting;
    private int waiting;
    private boolean draining;
    private boolean closed;

    /**
     * @param name        names the fleet in messages and instance ids
     * @param memoryBytes what each instance reserves of {@code budget}
     */
    public InstanceFleet(String name, FleetPolicy policy, long memoryBytes, Starter starter, Clock clock,
            FleetEvents events, MemoryBudget budget) {
        this.name = Objects.requireNonNull(name, "name");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.memoryBytes = memoryBytes;
        this.starter = Objects.requireNonNull(starter, "starter");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.events = Objects.requireNonNull(events, "events");
        this.budget = Objects.requireNonNull(budget, "budget");
    }

    /** One request's slot on an instance; closing it frees the slot. */
    public final class Lease implements AutoCloseable {
        private final Slot slot;
        private final boolean cold;
        private boolean closed;

        private Lease(Slot slot, boolean cold) {
            this.slot = slot;
            this.cold = cold;
        }

        public Instance instance() {
            return slot.instance;
        }

        /** The request waited for this instance to start. */
        public boolean cold() {
            return cold;
        }

        /** Whether the instance serves only this request now, so that its output is this request's log. */
        public boolean exclusive() {
            return policy.concurrency() == 1;
        }

        /**
         * Stops the instance, stuck on this request: from now on no request gets a slot on it, and
         * a waiting one starts another instance rather than wait for this one's end.
         */
        public void stopInstance() {
            lock.lock();
            try {
                slot.stop();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                slot.inFlight--;
                slot.lastUsed = clock.instant();
                if ((draining || fleetClosed()) && slot.inFlight == 0) {
                    slot.stop();
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private boolean fleetClosed() {
            return InstanceFleet.this.closed;
        }
    }

    /** A running instance and what it is doing. Guarded by the fleet's lock. */
    private static final class Slot {
        final Instance instance;
        int inFlight;
        Instant lastUsed;
        boolean stopping;

        Slot(Instance instance, Instant now) {
            this.instance = instance;
            this.lastUsed = now;
        }

        boolean free(int concurrency) {
            return !stopping && instance.alive() && inFlight < concurrency;
        }

        void stop() {
            stopping = true;
            instance.stop();
        }
    }

    /** A start asked for by a waiting request, which owns its outcome. */
    private static final class Start {
        boolean done;
        InstanceStartException failure;
        long deadlineNanos;
    }

    /**
     * A slot on a ready instance, starting one if the demand asks for it.
     *
     * @throws InstanceStartException the instance this request started never became ready
     * @throws FleetBusyException     nothing was free in time, or too many requests wait already
     */
    public Lease acquire() throws InterruptedException, InstanceStartException, FleetBusyException {
        long arrived = System.nanoTime();
        long deadline = arrived + policy.maxWait().toNanos();
        lock.lock();
        try {
            requireOpen(); // a drained fleet's busy instance may still have a free slot: not for new requests
            Slot free = firstFree();
            if (free != null) {
                free.inFlight++;
                return new Lease(free, false);
            }
            if (waiting >= policy.maxWaiting()) {
                throw new FleetBusyException("too many requests are waiting for an instance of " + name);
            }
            waiting++;
            Start own = null;
            try {
                while (true) {
                    requireOpen();
                    free = firstFree();
                    if (free != null) {
                        free.inFlight++;
                        return new Lease(free, free.instance.readyNanos() - arrived > 0);
                    }
                    if (own != null && own.done) {
                        if (own.failure != null) {
                            throw own.failure;
                        }
                        own = null; // it started; someone else may have its slot: keep waiting
                    }
                    if (own == null && needsAnother()) {
                        own = launch();
                    }
                    long until = own != null ? Math.max(deadline, own.deadlineNanos) : deadline;
                    long left = until - System.nanoTime();
                    if (left <= 0) {
                        throw new FleetBusyException("no instance of " + name + " was free within "
                                + policy.maxWait().toMillis() + " ms (" + running() + " running, at most "
                                + policy.maxInstances() + ")");
                    }
                    changed.awaitNanos(left);
                }
            } finally {
                waiting--;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A free slot on a ready instance if there is one now and nobody waits for one; otherwise
     * (also when the fleet is closed or draining) null, and {@link #acquire} says why or waits.
     * Never blocks but for the fleet's lock: the gateway calls it on its selector thread.
     */
    public Lease tryAcquire() {
        lock.lock();
        try {
            if (closed || draining || waiting > 0) {
                return null;
            }
            Slot free = firstFree();
            if (free == null) {
                return null;
            }
            free.inFlight++;
            return new Lease(free, false);
        } finally {
            lock.unlock();
        }
    }

    /** Stops instances idle for the keep-alive, as long as more than the minimum run. */
    public void reapIdle() {
        lock.lock();
        try {
            Instant now = clock.instant();
            int running = running();
            for (Slot slot : slots) {
                if (running <= policy.minInstances()) {
                    break;
                }
                if (!slot.stopping && slot.inFlight == 0
                        && !Duration.between(slot.lastUsed, now).minus(policy.keepAlive()).isNegative()) {
                    slot.stop();
                    running--;
                }
            }
        } finally {
            lock.unlock();
        }
        ensureMinimum();
    }

    /** Starts instances until the minimum runs (or is starting). */
    public void ensureMinimum() {
        lock.lock();
        try {
            while (!closed && !draining && running() + starting < policy.minInstances()) {
                if (launch() == null) {
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** No new requests; idle instances stop now, busy ones when their requests end. */
    public void drain() {
        lock.lock();
        try {
            draining = true;
            for (Slot slot : slots) {
                if (slot.inFlight == 0) {
                    slot.stop();
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops every instance now; requests in flight fail. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            slots.forEach(Slot::stop);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public FleetStats stats() {
        lock.lock();
        try {
            int busy = 0;
            int inFlight = 0;
            for (Slot slot : slots) {
                busy += slot.inFlight > 0 ? 1 : 0;
                inFlight += slot.inFlight;
            }
            return new FleetStats(running(), starting, busy, inFlight, waiting);
        } finally {
            lock.unlock();
        }
    }

    /** The instances running now, oldest first. */
    public List<Instance> instances() {
        lock.lock();
        try {
            return slots.stream().filter(slot -> !slot.stopping).map(slot -> slot.instance).toList();
        } finally {
            lock.unlock();
        }
    }

    public String name() {
        return name;
    }

    /** Drained or closed: requests belong to another fleet now. */
    public boolean retired() {
        lock.lock();
        try {
            return draining || closed;
        } finally {
            lock.unlock();
        }
    }

    private int running() {
        int count = 0;
        for (Slot slot : slots) {
            count += slot.stopping ? 0 : 1;
        }
        return count;
    }

    private Slot firstFree() {
        for (Slot slot : slots) {
            if (slot.free(policy.concurrency())) {
                return slot;
            }
        }
        return null;
    }

    private boolean needsAnother() {
        int inFlight = 0;
        for (Slot slot : slots) {
            inFlight += slot.stopping ? 0 : slot.inFlight;
        }
        long capacity = (long) (running() + starting) * policy.concurrency();
        return inFlight + waiting > capacity && running() + starting < policy.maxInstances();
    }

    /** Starts one instance in the background; null when the node's memory budget has no room. */
    private Start launch() {
        if (!budget.tryReserve(memoryBytes)) {
            return null;
        }
        var start = new Start();
        start.deadlineNanos = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        starting++;
        String id = name + "-" + sequence.incrementAndGet();
        Thread.ofVirtual().name("start-" + id).start(() -> run(start, id));
        return start;
    }

    private void run(Start start, String id) {
        Instance instance = null;
        InstanceStartException failure = null;
        try {
            instance = starter.start(id);
        } catch (InstanceStartException e) {
            failure = e;
        } catch (InterruptedException e) {
            failure = new InstanceStartException("the start of " + id + " was interrupted", java.util.Optional.empty(), "");
        } catch (RuntimeException e) {
            failure = new InstanceStartException("the start of " + id + " failed: " + e, java.util.Optional.empty(), "");
        }
        Slot slot = null;
        lock.lock();
        try {
            starting--;
            start.done = true;
            start.failure = failure;
            if (instance != null) {
                slot = new Slot(instance, clock.instant());
                slots.add(slot);
                if (closed || draining) {
                    slot.stop();
                }
            } else {
                budget.release(memoryBytes);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (instance != null) {
            events.started(name, instance);
            Slot started = slot;
            instance.ended().whenComplete((result, error) -> ended(started, result));
        } else {
            events.startFailed(name, failure);
        }
    }

    private void ended(Slot slot, SandboxResult result) {
        boolean crashed;
        lock.lock();
        try {
            crashed = !slot.instance.stopped();
            slots.remove(slot);
            budget.release(memoryBytes);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (result != null) {
            events.ended(name, slot.instance, result, crashed);
        }
        if (crashed) {
            ensureMinimum();
        }
    }

    private void requireOpen() throws FleetBusyException {
        if (closed || draining) {
            throw new FleetBusyException(name + " is being replaced or removed: try again");
        }
    }
}
