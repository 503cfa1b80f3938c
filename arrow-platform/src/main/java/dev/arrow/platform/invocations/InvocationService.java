package dev.arrow.platform.invocations;

import dev.arrow.platform.IdempotencyConflictException;
import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.Idempotent;
import dev.arrow.platform.InstanceUnavailableException;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.PlatformException;
import dev.arrow.platform.access.SandboxApi;
import dev.arrow.platform.access.SandboxToken;
import dev.arrow.platform.arrows.ArrowLimits;
import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.ArrowStore;
import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.arrows.Revision;
import dev.arrow.platform.bundles.BundleStore;
import dev.arrow.runtime.ExecInvoker;
import dev.arrow.runtime.ExecResult;
import dev.arrow.runtime.ExecTask;
import dev.arrow.runtime.Metering;
import dev.arrow.runtime.instances.FleetBusyException;
import dev.arrow.runtime.instances.InstanceFleet;
import dev.arrow.runtime.instances.InstanceStartException;
import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Invokes arrows, sync and async, within the node's capacity, and keeps every invocation's record.
 *
 * <p>Async invocations are stored before {@link #submit} returns and run on virtual threads that
 * wait for capacity; {@link #start()} picks up those a previous run of the node accepted but did
 * not finish (an interrupted run is started again, so async delivery is at least once).
 *
 * <p>Either may carry an {@link IdempotencyKey}: a retry with the key of an invocation of the same
 * arrow within the key's retention gets that invocation, replayed, rather than a new one. The
 * key is stored before the invocation runs (an async one's with it, in one transaction), so it
 * holds across restarts of the node.
 */
public final class InvocationService implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(InvocationService.class.getName());
    /** How often, at most, keyed requests sweep out the keys past their retention. */
    static final Duration KEY_SWEEP_EVERY = Duration.ofHours(1);
    /** How often a request tries to take over a free key that other requests keep taking first. */
    private static final int MAX_KEY_ROUNDS = 8;

    private final ArrowStore arrows;
    private final BundleStore bundles;
    private final InvocationStore store;
    private final ExecInvoker invoker;
    private final DispatchSettings settings;
    private final DispatchClock clock;
    private final InvocationListener listener;
    private final InvocationIds ids;
    private final Capacity capacity;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger asyncRunning = new AtomicInteger();
    /*
     * The sync invocations of this run that hold an idempotency key and have not been recorded yet:
     * a key whose invocation has no record and is not in here was cut short (a previous run of the
     * node stopped, or it was refused before it ran), and a retry may take it over. An id goes in
     * before its key is stored and out after its record is.
     */
    private final Set<String> keyedSyncInFlight = ConcurrentHashMap.newKeySet();
    private volatile Instant nextKeySweep = Instant.MIN;
    private final Set<Thread> asyncThreads = ConcurrentHashMap.newKeySet();
    /* The async threads still waiting for capacity: the only ones a stop interrupts at once. */
    private final Set<Thread> waitingForCapacity = ConcurrentHashMap.newKeySet();
    private final WarmInstances warm;
    private volatile SandboxApi api; // null: sandboxes get no API socket
    private volatile VmTier vm; // null: the node runs no VM arrows
    /*
     * Each arrow's traffic revision, read once: every deploy, rollback and delete of this node goes
     * through arrowChanged, which refreshes it. (Several nodes sharing arrows will need a change feed.)
     */
    private final Map<String, Revision> traffic = new ConcurrentHashMap<>();
    private final List<java.util.function.BiConsumer<String, Optional<ArrowSpec>>> changeListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile boolean started;
    /*
     * The async invocations this run accepted before start(): the node's API listens before it
     * calls start, which finds them stored and must not run them a second time.
     */
    private final Set<String> acceptedBeforeStart = ConcurrentHashMap.newKeySet();

    public InvocationService(ArrowStore arrows, BundleStore bundles, InvocationStore store, ExecInvoker invoker,
            DispatchSettings settings, DispatchClock clock, InvocationListener listener) {
        this(arrows, bundles, store, invoker, null, settings, clock, listener);
    }

    /** @param warm the node's http-mode instances; null when the node runs none */
    public InvocationService(ArrowStore arrows, BundleStore bundles, InvocationStore store, ExecInvoker invoker,
            WarmInstances warm, DispatchSettings settings, DispatchClock clock, InvocationListener listener) {
        this.warm = warm;
        this.arrows = Objects.requireNonNull(arrows, "arrows");
        this.bundles = Objects.requireNonNull(bundles, "bundles");
        this.store = Objects.requireNonNull(store, "store");
        this.invoker = Objects.requireNonNull(invoker, "invoker");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.ids = new InvocationIds(clock);
        this.capacity = new Capacity(settings.maxConcurrent(), settings.maxAsyncConcurrent(), settings.maxWaiting(),
                settings.maxWait(), clock);
    }

    /** Resumes the async invocations a previous run of the node accepted and did not finish. Call it once. */
    public void start() {
        if (warm != null) {
            arrows.arrows().forEach(summary -> arrowChanged(summary.name()));
        }
        List<InvocationRecord> stored = store.unfinished();
        started = true; // after the read: what submit stores from now on is not in it
        List<InvocationRecord> unfinished = stored.stream()
                .filter(record -> !acceptedBeforeStart.contains(record.id()))
                .toList();
        acceptedBeforeStart.clear();
        pending.addAndGet(unfinished.size());
        unfinished.forEach(this::launchAsync);
        if (!unfinished.isEmpty()) {
            LOG.info(() -> "resuming " + unfinished.size() + " accepted async invocation(s)");
        }
    }

    /** Runs the arrow's traffic revision with {@code input} and waits for the result. */
    public CompletedInvocation invoke(String arrow, byte[] input) throws InterruptedException {
        return invoke(arrow, input, Optional.empty()).result();
    }

    /**
     * {@link #invoke(String, byte[])}, at most once per idempotency key: a retry with the key of a
     * finished invocation gets its result again (the record, output and end of the log, as stored),
     * replayed. A key whose invocation was cut short before it was recorded is taken over.
     *
     * @throws IdempotencyConflictException the key's invocation has not finished, or the key was
     *                                      used for another input of this arrow
     */
    public Idempotent<CompletedInvocation> invoke(String arrow, byte[] input, Optional<IdempotencyKey> key)
            throws InterruptedException {
        requireOpen();
        checkInput(input);
        Revision revision = trafficRevision(arrow);
        String id = ids.next();
        if (key.isEmpty()) {
            return Idempotent.done(runSync(arrow, revision, id, input));
        }
        sweepKeys();
        keyedSyncInFlight.add(id); // before the key is stored: a retry must not take it over while this runs
        try {
            Optional<IdempotencyKey.Use<String>> replacing = Optional.empty();
            for (int round = 0; ; round++) {
                requireTakeable(key.get(), round);
                Optional<IdempotencyKey.Use<String>> held = store.claim(arrow, key.get(), id, clock.instant(), replacing);
                if (held.isEmpty()) {
                    return Idempotent.done(runSync(arrow, revision, id, input));
                }
                Held first = held(key.get(), held.get());
                switch (first) {
                    case Held.Free _ -> replacing = held;
                    case Held.Recorded recorded -> {
                        if (!recorded.record().status().finished()) {
                            throw IdempotencyConflictException.inFlight(key.get()); // an async one, queued or running
                        }
                        return Idempotent.replayed(replay(recorded.record()));
                    }
                }
            }
        } finally {
            keyedSyncInFlight.remove(id);
        }
    }

    private CompletedInvocation runSync(String arrow, Revision revision, String id, byte[] input) throws InterruptedException {
        InvocationRecord accepted = InvocationRecord.accepted(id, arrow, revision.number(), Trigger.SYNC, clock.instant());
        if (revision.spec().mode() == Mode.HTTP) {
            return executeWarm(accepted, revision, input, false);
        }
        try (Capacity.Lease lease = capacity.acquireSync(arrow, revision.spec().scaling().maxInstances())) {
            return execute(accepted, revision, input);
        }
    }

    /**
     * Runs the arrow's traffic revision once for what the events layer delivers, recorded as made by
     * {@code trigger}: an exec arrow gets {@code input} on stdin; an http-mode arrow a POST of it
     * with {@code headers}, its response's headers in the result. Waits for capacity no longer than
     * a sync call would.
     *
     * @throws OverloadedException the arrow or the node is at its capacity: nothing ran
     */
    public CompletedInvocation deliver(String arrow, Trigger trigger, Map<String, String> headers, byte[] input)
            throws InterruptedException {
        return deliver(arrow, trigger, headers, Map.of(), input);
    }

    /**
     * As {@link #deliver(String, Trigger, Map, byte[])}, and an exec arrow's sandbox gets
     * {@code environment} besides the arrow's own and the platform's variables (which win: they
     * cannot be faked). An http-mode arrow's instance is shared, so it gets only the headers.
     */
    public CompletedInvocation deliver(String arrow, Trigger trigger, Map<String, String> headers,
            Map<String, String> environment, byte[] input) throws InterruptedException {
        requireOpen();
        checkInput(input);
        Revision revision = trafficRevision(arrow);
        InvocationRecord accepted = InvocationRecord.accepted(ids.next(), arrow, revision.number(), trigger, clock.instant());
        if (revision.spec().mode() == Mode.HTTP) {
            return executeWarm(accepted, revision, input, false, headers);
        }
        try (Capacity.Lease lease = capacity.acquireSync(arrow, revision.spec().scaling().maxInstances())) {
            return execute(accepted, revision, input, environment);
        }
    }

    /** What holds a key that is in the way of a request: a recorded invocation, or nothing that counts any more. */
    private sealed interface Held {
        /** Expired, or its invocation was cut short before it was recorded: the key may be taken over. */
        record Free() implements Held {
        }

        record Recorded(InvocationRecord record) implements Held {
        }
    }

    /**
     * What {@code use}, holding {@code key}, stands for.
     *
     * @throws IdempotencyConflictException the key was used for another request, or its sync
     *                                      invocation is running in this node now
     */
    private Held held(IdempotencyKey key, IdempotencyKey.Use<String> use) {
        if (IdempotencyKey.expired(use, clock.instant())) {
            return new Held.Free();
        }
        if (!key.sameRequestAs(use)) {
            throw IdempotencyConflictException.reused(key);
        }
        // The set first, then the store: an invocation leaves the set only once its record is stored.
        if (keyedSyncInFlight.contains(use.result())) {
            throw IdempotencyConflictException.inFlight(key);
        }
        return store.find(use.result()).<Held>map(Held.Recorded::new).orElseGet(Held.Free::new);
    }

    /** A key that was free each time but taken by another request each time this one came for it: busy. */
    private static void requireTakeable(IdempotencyKey key, int round) {
        if (round >= MAX_KEY_ROUNDS) {
            throw IdempotencyConflictException.inFlight(key);
        }
    }

    /** A finished invocation's answer, again, from what was stored of it. */
    private CompletedInvocation replay(InvocationRecord record) {
        byte[] output = store.output(record.id()).orElse(new byte[0]);
        String log = store.log(record.id()).orElse("");
        return new CompletedInvocation(record, output, tail(log, settings.output().tailBytes()));
    }

    /** The last {@code bytes} of {@code log}, as its error answer had them. */
    static String tail(String log, int bytes) {
        byte[] all = log.getBytes(StandardCharsets.UTF_8);
        if (all.length <= bytes) {
            return log;
        }
        return new String(all, all.length - bytes, bytes, StandardCharsets.UTF_8);
    }

    /** At most every {@link #KEY_SWEEP_EVERY}, on a keyed request: the keys past their retention go. */
    private void sweepKeys() {
        Instant now = clock.instant();
        if (now.isBefore(nextKeySweep)) {
            return;
        }
        nextKeySweep = now.plus(KEY_SWEEP_EVERY); // two at once may both sweep: no harm
        store.deleteKeysBefore(now.minus(IdempotencyKey.RETENTION));
    }

    /** Accepts an async invocation: stored durably before this returns, run when capacity allows. */
    public InvocationRecord submit(String arrow, byte[] input) {
        return submit(arrow, input, Optional.empty()).result();
    }

    /**
     * {@link #submit(String, byte[])}, at most once per idempotency key: a retry with the key of an
     * accepted invocation gets that invocation's record, replayed, whatever its status.
     *
     * @throws IdempotencyConflictException the key was used for another input of this arrow, or by
     *                                      a sync invocation that is running
     */
    public Idempotent<InvocationRecord> submit(String arrow, byte[] input, Optional<IdempotencyKey> key) {
        requireOpen();
        checkInput(input);
        Revision revision = trafficRevision(arrow);
        if (key.isPresent()) {
            sweepKeys();
        }
        if (pending.incrementAndGet() > settings.maxPending()) {
            pending.decrementAndGet();
            throw new OverloadedException("too many async invocations are pending: try again later", Duration.ofSeconds(5));
        }
        InvocationRecord accepted;
        try {
            accepted = InvocationRecord.accepted(ids.next(), arrow, revision.number(), Trigger.ASYNC, clock.instant());
            if (!started) {
                acceptedBeforeStart.add(accepted.id()); // before it is stored, where start() may find it
            }
            if (key.isEmpty()) {
                store.accept(accepted, input);
            } else {
                Optional<InvocationRecord> first = acceptOnce(accepted, input, key.get());
                if (first.isPresent()) {
                    acceptedBeforeStart.remove(accepted.id());
                    pending.decrementAndGet();
                    return Idempotent.replayed(first.get());
                }
            }
        } catch (RuntimeException e) {
            pending.decrementAndGet();
            throw e;
        }
        launchAsync(accepted);
        return Idempotent.done(accepted);
    }

    /** Accepts under {@code key}; or, when a request has used it already, that request's invocation. */
    private Optional<InvocationRecord> acceptOnce(InvocationRecord accepted, byte[] input, IdempotencyKey key) {
        Optional<IdempotencyKey.Use<String>> replacing = Optional.empty();
        for (int round = 0; ; round++) {
            requireTakeable(key, round);
            Optional<IdempotencyKey.Use<String>> held = store.accept(accepted, input, key, replacing);
            if (held.isEmpty()) {
                return Optional.empty();
            }
            switch (held(key, held.get())) {
                case Held.Free _ -> replacing = held;
                case Held.Recorded recorded -> {
                    return Optional.of(recorded.record());
                }
            }
        }
    }

    public InvocationRecord get(String id) {
        requireWellFormed(id);
        return store.find(id).orElseThrow(() -> new NotFoundException("invocation", id));
    }

    public byte[] output(String id) {
        InvocationRecord record = get(id);
        if (!record.status().finished()) {
            throw new InvalidInputException("id", "invocation " + id + " has not finished: it is " + record.status().name().toLowerCase());
        }
        return store.output(id).orElse(new byte[0]);
    }

    public String log(String id) {
        return log(get(id));
    }

    /** The log of a record already in hand: no second lookup. Empty until the invocation has finished. */
    public String log(InvocationRecord record) {
        return record.status().finished() ? store.log(record.id()).orElse("") : "";
    }

    public List<InvocationRecord> list(InvocationQuery query) {
        query.arrow().ifPresent(name -> ArrowName.require(name, "arrow"));
        query.before().ifPresent(InvocationService::requireWellFormed);
        return store.list(query);
    }

    /** Sandboxes running invocations now. */
    public int running() {
        return capacity.running();
    }

    /** Sync invocations waiting for capacity plus async ones accepted and not finished. */
    public int queueDepth() {
        return capacity.waiting() + Math.max(0, pending.get() - asyncRunning.get());
    }

    /**
     * Stops taking work, lets running invocations finish within the grace period, then stops them.
     * Async invocations that did not finish stay stored and run again at the next start.
     */
    @Override
    public void close() {
        closed = true;
        VmTier tier = vm;
        if (tier != null) {
            tier.prewarm(0); // the VM pool's qemu processes end with the node
        }
        long deadline = clock.nanoTime() + settings.shutdownGrace().toNanos();
        // Not by thread state: a running invocation's virtual thread, parked on its sandbox, is WAITING too.
        waitingForCapacity.forEach(Thread::interrupt); // nothing to lose: they have not started
        for (Thread thread : asyncThreads) {
            try {
                if (!clock.awaitUntil(deadline, nanos -> thread.join(Duration.ofNanos(nanos)))) {
                    thread.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One virtual thread per pending invocation; it holds only the record until it runs. */
    private void launchAsync(InvocationRecord accepted) {
        Thread thread = Thread.ofVirtual().name("async-" + accepted.id()).unstarted(() -> runAsync(accepted));
        asyncThreads.add(thread);
        thread.start();
    }

    private void runAsync(InvocationRecord accepted) {
        try {
            int arrowMax = arrows.revision(accepted.arrow(), accepted.revision())
                    .map(revision -> revision.spec().scaling().maxInstances())
                    .orElse(1);
            Capacity.Lease acquired;
            waitingForCapacity.add(Thread.currentThread());
            try {
                if (closed) {
                    return;
                }
                acquired = capacity.acquireAsync(accepted.arrow(), arrowMax);
            } finally {
                waitingForCapacity.remove(Thread.currentThread());
            }
            try (Capacity.Lease lease = acquired) {
                if (closed) {
                    return;
                }
                asyncRunning.incrementAndGet();
                try {
                    run(accepted);
                } finally {
                    asyncRunning.decrementAndGet();
                }
            }
            pending.decrementAndGet();
        } catch (InterruptedException e) {
            // The node is stopping: the invocation stays stored and runs at the next start.
        } catch (RuntimeException e) {
            pending.decrementAndGet(); // this run will not try it again: its place must not stay taken
            LOG.log(Level.SEVERE, "async invocation " + accepted.id() + " could not be run", e);
        } finally {
            asyncThreads.remove(Thread.currentThread());
        }
    }

    /** Runs an accepted async invocation that holds its capacity. */
    private void run(InvocationRecord accepted) throws InterruptedException {
        // Looked up now, not before the wait for capacity: the arrow may have been deleted meanwhile.
        Optional<Revision> revision = arrows.revision(accepted.arrow(), accepted.revision());
        byte[] input = store.input(accepted.id()).orElse(new byte[0]);
        InvocationRecord running = accepted.started(clock.instant());
        store.start(running);
        try {
            if (revision.isEmpty()) {
                finishWithoutSandbox(running, "the arrow or its revision " + accepted.revision()
                        + " was deleted before the invocation ran");
            } else if (revision.get().spec().mode() == Mode.HTTP) {
                executeWarm(running, revision.get(), input, true);
            } else {
                execute(running, revision.get(), input);
            }
        } catch (PlatformException e) {
            // Refused as a sync invocation would be (its arrow was deleted while it waited for an
            // instance, the node runs no http-mode arrows): nobody waits for an answer, so the record says it.
            finishWithoutSandbox(running, e.getMessage());
        }
    }

    private CompletedInvocation execute(InvocationRecord accepted, Revision revision, byte[] input)
            throws InterruptedException {
        return execute(accepted, revision, input, Map.of());
    }

    private CompletedInvocation execute(InvocationRecord accepted, Revision revision, byte[] input,
            Map<String, String> extraEnvironment) throws InterruptedException {
        ArrowSpec spec = revision.spec();
        // An async invocation was marked running (and its attempt counted) when it got capacity.
        InvocationRecord running = accepted.status() == InvocationStatus.RUNNING ? accepted : accepted.started(clock.instant());
        Instant startedAt = running.startedAt().orElseThrow();
        ExecResult result;
        Isolation tier = spec.isolation();
        Optional<String> accelerator = Optional.empty();
        Optional<Path> code = spec.bundle().flatMap(bundles::path);
        if (spec.bundle().isPresent() && code.isEmpty()) {
            return finishWithoutSandbox(running, "setup-failed", "the code bundle " + spec.bundle().get()
                    + " is missing from this node", "", tier, accelerator);
        }
        SandboxApi give = api;
        Map<String, String> env = environment(accepted, spec, extraEnvironment);
        List<Mount> mounts = List.of();
        // The invocation's token lives as long as its sandbox: revoked once the sandbox has ended.
        try (SandboxToken token = give == null ? null : give.mint(spec)) {
            if (token != null) {
                env.putAll(SandboxApi.environment(token));
                mounts = List.of(give.mount());
            }
            ExecInvoker chosen = invoker;
            if (tier == Isolation.VM) {
                VmTier vms = vm;
                if (vms == null) {
                    throw new SandboxException("this node has no VM tier");
                }
                VmTier.Made made = vms.open();
                chosen = made.invoker();
                accelerator = Optional.of(made.accelerator());
            }
            var task = new ExecTask(spec.command(), env, code, limitsOf(spec.limits()), spec.network(), mounts);
            result = chosen.invoke(task, input);
        } catch (SandboxException e) {
            return finishWithoutSandbox(running, "setup-failed", e.getMessage(), "", tier, accelerator);
        }
        SandboxResult sandbox = result.sandbox();
        listener.sandboxEnded(sandbox);
        Duration billed = Metering.billed(sandbox.wallTime());
        long memory = spec.limits().memoryBytes();
        Optional<RunError> error = result.outputTooLarge()
                ? Optional.of(new RunError.OutputTooLarge(settings.output().maxOutputBytes()))
                : Optional.empty();
        var execution = new Execution(startedAt, true, sandbox.setupTime(), sandbox.wallTime(), sandbox.outcome(), error,
                sandbox.cpuUser(), sandbox.cpuSystem(), sandbox.peakMemoryBytes(), memory, billed,
                Metering.gbSeconds(memory, billed), result.outputBytes(), result.logBytes(), result.logTruncated())
                .in(tier, accelerator);
        InvocationRecord finished = running.finished(execution);
        byte[] output = result.outputTooLarge() ? new byte[0] : result.output();
        store.finish(finished, output, result.log());
        listener.finished(finished);
        return new CompletedInvocation(finished, output, result.stderrTail());
    }

    private CompletedInvocation finishWithoutSandbox(InvocationRecord running, String why) {
        return finishWithoutSandbox(running, "setup-failed", why, "");
    }

    private CompletedInvocation finishWithoutSandbox(InvocationRecord running, String reason, String why, String log) {
        return finishWithoutSandbox(running, reason, why, log, Isolation.PROCESS, Optional.empty());
    }

    private CompletedInvocation finishWithoutSandbox(InvocationRecord running, String reason, String why, String log,
            Isolation tier, Optional<String> accelerator) {
        var execution = new Execution(running.startedAt().orElse(clock.instant()), true, Duration.ZERO, Duration.ZERO,
                new Outcome.FailedToStart(reason, why), Optional.empty(), Duration.ZERO, Duration.ZERO, 0, 0,
                Duration.ZERO, 0, 0, log.length(), false).in(tier, accelerator);
        InvocationRecord finished = running.finished(execution);
        store.finish(finished, new byte[0], log);
        listener.finished(finished);
        return new CompletedInvocation(finished, new byte[0], log);
    }

    /**
     * An invocation of an http-mode arrow through the API: the input is POSTed to / of a warm
     * instance (a language runtime's bootstrap calls the handler with it).
     *
     * @param patient an accepted async invocation: it waits for a free instance as long as it takes
     */
    private CompletedInvocation executeWarm(InvocationRecord accepted, Revision revision, byte[] input, boolean patient)
            throws InterruptedException {
        return executeWarm(accepted, revision, input, patient, Map.of());
    }

    /** {@code extra}: headers sent besides the platform's, which come last so that they cannot be faked. */
    private CompletedInvocation executeWarm(InvocationRecord accepted, Revision revision, byte[] input, boolean patient,
            Map<String, String> extra) throws InterruptedException {
        InvocationRecord running = accepted.status() == InvocationStatus.RUNNING ? accepted : accepted.started(clock.instant());
        InstanceFleet.Lease lease;
        try {
            lease = acquire(revision, patient);
        } catch (InstanceStartException e) {
            return finishWithoutSandbox(running, "instance-start-failed", e.getMessage(), e.logTail());
        }
        WarmCall call = new WarmCall(this, running, revision.spec(), lease, clock);
        var headers = new LinkedHashMap<>(extra);
        headers.put("Arrow-Invocation-Id", accepted.id());
        headers.put("Arrow-Deadline-Ms", Long.toString(clock.millis() + revision.spec().limits().timeout().toMillis()));
        return call.invoke(warm.client(), input, headers, settings.output());
    }

    /** A slot on an instance of the revision; a drained fleet (redeploy) sends the request to the new one. */
    InstanceFleet.Lease acquire(Revision revision, boolean patient) throws InterruptedException, InstanceStartException {
        if (warm == null) {
            throw new InvalidInputException("mode", "this node does not run http-mode arrows");
        }
        while (true) {
            InstanceFleet fleet = warm.fleet(revision);
            try {
                return fleet.acquire();
            } catch (FleetBusyException e) {
                if (!fleet.retired()) {
                    if (!patient) {
                        throw new OverloadedException(e.getMessage() + ": try again later", Duration.ofSeconds(1));
                    }
                    clock.sleep(Duration.ofSeconds(1));
                    if (!fleet.retired()) {
                        continue;
                    }
                }
                // Replaced (a redeploy) or removed (a delete): asking for the same revision's fleet
                // again would make a new one, for a revision that no longer gets traffic.
                revision = trafficRevision(revision.spec().name());
            }
        }
    }

    /**
     * A gateway request to an http-mode arrow: a slot on one of its warm instances, through which the
     * caller forwards the request; {@link WarmCall#finish} records the invocation.
     *
     * @throws InvalidInputException the arrow runs in exec mode
     */
    public WarmCall openHttp(String arrow) throws InterruptedException {
        requireOpen();
        Revision revision = trafficRevision(arrow);
        if (revision.spec().mode() != Mode.HTTP) {
            throw new InvalidInputException("arrow", "'" + arrow + "' runs in exec mode");
        }
        InvocationRecord running = httpRecord(arrow, revision);
        try {
            return new WarmCall(this, running, revision.spec(), acquire(revision, false), clock);
        } catch (InstanceStartException e) {
            finishWithoutSandbox(running, "instance-start-failed", e.getMessage(), e.logTail());
            throw new InstanceUnavailableException(running.id(), e.getMessage());
        }
    }

    /**
     * {@link #openHttp} when it would not wait: the arrow's revision is known without reading the
     * store and a ready instance has a free slot. Otherwise empty, and {@link #openHttp} answers.
     * Never blocks but for a fleet's lock: the gateway calls it on its selector thread.
     */
    public Optional<WarmCall> tryOpenHttp(String arrow) {
        Revision revision = traffic.get(arrow);
        if (closed || warm == null || revision == null || revision.spec().mode() != Mode.HTTP) {
            return Optional.empty();
        }
        return warm.tryAcquire(revision)
                .map(lease -> new WarmCall(this, httpRecord(arrow, revision), revision.spec(), lease, clock));
    }

    private InvocationRecord httpRecord(String arrow, Revision revision) {
        return InvocationRecord.accepted(ids.next(), arrow, revision.number(), Trigger.HTTP, clock.instant())
                .started(clock.instant());
    }

    /**
     * An arrow was deployed, rolled back or deleted: invocations go to its traffic revision from
     * now on, its warm instances follow it (the minimum is started now), or stop when it is gone or
     * runs in exec mode. Must be called after every such change.
     */
    public void arrowChanged(String arrow) {
        // Read after the change was stored, and put over whatever a request may have cached meanwhile.
        Optional<Revision> revision = storedTrafficRevision(arrow);
        revision.ifPresentOrElse(current -> traffic.put(arrow, current), () -> traffic.remove(arrow));
        changeListeners.forEach(listener -> listener.accept(arrow, revision.map(Revision::spec)));
        if (warm == null) {
            return;
        }
        if (revision.isPresent() && revision.get().spec().mode() == Mode.HTTP) {
            warm.warm(revision.get());
        } else {
            warm.remove(arrow);
        }
    }

    /**
     * Told of every deploy, rollback and delete after {@link #arrowChanged}: the arrow and the spec of
     * its traffic revision, empty when it is gone (the node's triggers follow them).
     */
    public void onArrowChanged(java.util.function.BiConsumer<String, Optional<ArrowSpec>> listener) {
        changeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The mode of an arrow's traffic revision. */
    public Mode mode(String arrow) {
        return trafficRevision(arrow).spec().mode();
    }

    /**
     * Stores a finished warm invocation and tells the listener; {@code soon}: nobody reads it back
     * at once (a gateway request, already answered), so it may share a later commit.
     */
    void record(InvocationRecord finished, byte[] output, String log, boolean soon) {
        if (soon) {
            store.finishSoon(finished, output, log);
        } else {
            store.finish(finished, output, log);
        }
        listener.finished(finished);
    }

    DispatchSettings settings() {
        return settings;
    }

    /**
     * From now on, every sandbox gets the node's API socket and a token of its own: exec
     * invocations here, warm instances through {@link WarmInstances}. Called before {@link #start}.
     */
    /** What the VM tier's VMs run on, once it has been made. */
    Optional<String> vmAccelerator() {
        VmTier tier = vm;
        return tier == null ? Optional.empty() : tier.accelerator();
    }

    /** Runs the exec-mode invocations of {@code isolation: vm} arrows in {@code tier}. */
    public void giveVmTier(VmTier tier) {
        this.vm = Objects.requireNonNull(tier, "tier");
    }

    public void giveSandboxesApi(SandboxApi api) {
        this.api = Objects.requireNonNull(api, "api");
        if (warm != null) {
            warm.giveSandboxesApi(api);
        }
    }

    /** The platform's variables come last, so an arrow's env cannot fake them. */
    private static LinkedHashMap<String, String> environment(InvocationRecord invocation, ArrowSpec spec,
            Map<String, String> extra) {
        var env = new LinkedHashMap<>(spec.env());
        env.putAll(extra);
        env.putAll(platformVariables(invocation.arrow(), invocation.revision(), spec));
        env.put("ARROW_INVOCATION_ID", invocation.id());
        return env;
    }

    /** What every sandbox of an arrow is told about itself, exec sandbox or warm instance. */
    static Map<String, String> platformVariables(String arrow, int revision, ArrowSpec spec) {
        var env = new LinkedHashMap<String, String>();
        env.put("ARROW_NAME", arrow);
        env.put("ARROW_REVISION", Integer.toString(revision));
        env.put("ARROW_MEMORY_LIMIT_BYTES", Long.toString(spec.limits().memoryBytes()));
        return env;
    }

    /** An arrow's limits as a sandbox's; a warm instance drops the wall time (its requests time out instead). */
    static Limits limitsOf(ArrowLimits limits) {
        return Limits.DEFAULT
                .withMemoryBytes(limits.memoryBytes())
                .withCpuMillis(limits.cpuMillis())
                .withPids(limits.pids())
                .withWallTime(limits.timeout())
                .withTmpfsBytes(limits.tmpfsBytes());
    }

    /** From memory once read: a request must not cost two reads of the store (see {@link #arrowChanged}). */
    private Revision trafficRevision(String arrow) {
        ArrowName.require(arrow, "name");
        Revision cached = traffic.get(arrow);
        if (cached != null) {
            return cached;
        }
        return traffic.computeIfAbsent(arrow, name -> storedTrafficRevision(name)
                .orElseThrow(() -> new NotFoundException("arrow", name)));
    }

    private Optional<Revision> storedTrafficRevision(String arrow) {
        return arrows.arrow(arrow).flatMap(summary -> arrows.revision(arrow, summary.trafficRevision()));
    }

    private void checkInput(byte[] input) {
        if (input.length > settings.maxInputBytes()) {
            throw new InvalidInputException("body", "the invocation body is larger than " + settings.maxInputBytes() + " bytes");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new OverloadedException("the node is shutting down", Duration.ofSeconds(5));
        }
    }

    private static void requireWellFormed(String id) {
        if (!InvocationIds.isWellFormed(id)) {
            throw new NotFoundException("invocation", id == null ? "" : id.length() > 40 ? id.substring(0, 40) + "..." : id);
        }
    }
}
