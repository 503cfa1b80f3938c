package dev.arrow.platform.invocations;

import dev.arrow.platform.access.SandboxApi;
import dev.arrow.platform.access.SandboxToken;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.arrows.Revision;
import dev.arrow.platform.bundles.BundleStore;
import dev.arrow.runtime.instances.FleetEvents;
import dev.arrow.runtime.instances.FleetPolicy;
import dev.arrow.runtime.instances.FleetStats;
import dev.arrow.runtime.instances.Instance;
import dev.arrow.runtime.instances.InstanceClient;
import dev.arrow.runtime.instances.InstanceFleet;
import dev.arrow.runtime.instances.InstanceSpec;
import dev.arrow.runtime.instances.InstanceStarter;
import dev.arrow.runtime.instances.InstanceStartException;
import dev.arrow.runtime.instances.MemoryBudget;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.SandboxDriver;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's warm instances: one {@link InstanceFleet} per http-mode arrow, for its traffic
 * revision. A deploy or rollback drains the fleet of the previous revision (its busy instances
 * finish their requests); a background task stops idle instances after their keep-alive.
 */
public final class WarmInstances implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WarmInstances.class.getName());

    private final SandboxDriver driver;
    private volatile VmTier vm;
    // Made at first use: its start would cost every node's start some 100-400 ms. Written under this.
    private volatile InstanceClient client;
    private Supplier<InstanceClient> clientMaker = InstanceClient::new; // guarded by this
    private boolean closed; // guarded by this
    private final BundleStore bundles;
    private final RuntimeLaunchers runtimes;
    private final DispatchSettings settings;
    private final Clock clock;
    private final FleetEvents events;
    private final MemoryBudget budget;
    private final ConcurrentHashMap<String, Entry> fleets = new ConcurrentHashMap<>();
    private final List<InstanceFleet> draining = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ScheduledExecutorService reaper;
    private volatile SandboxApi api; // null: instances get no API socket

    private record Entry(int revision, InstanceFleet fleet) {
    }

    /** @param reapEvery how often idle instances are looked for */
    public WarmInstances(SandboxDriver driver, BundleStore bundles, RuntimeLaunchers runtimes, DispatchSettings settings,
            Clock clock, FleetEvents events, MemoryBudget budget, Duration reapEvery) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.bundles = Objects.requireNonNull(bundles, "bundles");
        this.runtimes = Objects.requireNonNull(runtimes, "runtimes");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.events = Objects.requireNonNull(events, "events");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("arrow-reaper").factory());
        reaper.scheduleWithFixedDelay(this::reapIdle, reapEvery.toMillis(), reapEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    public InstanceClient client() {
        InstanceClient made = client;
        if (made != null) {
            return made; // every gateway request comes here: no lock once it exists
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the node's warm instances are closed");
            }
            if (client == null) {
                client = clientMaker.get();
            }
            return client;
        }
    }

    /**
     * From now on, every instance gets the node's API socket and a token of its own, revoked when
     * its sandbox ends. Called before the node takes requests: fleets made earlier keep their specs.
     */
    public void giveSandboxesApi(SandboxApi api) {
        this.api = Objects.requireNonNull(api, "api");
    }

    /**
     * How the instance client is made at first use: the node makes one whose connections share its
     * server connector's selectors, so that one thread serves both sides of a gateway request.
     * The default makes a client with selectors of its own.
     */
    public synchronized void makeInstanceClientWith(Supplier<InstanceClient> maker) {
        if (client != null) {
            throw new IllegalStateException("the instance client is made already");
        }
        clientMaker = Objects.requireNonNull(maker, "maker");
    }

    /** A free slot on a ready instance of {@code revision}'s fleet if one is there now, without waiting. */
    Optional<InstanceFleet.Lease> tryAcquire(Revision revision) {
        Entry entry = fleets.get(revision.spec().name());
        if (entry == null || entry.revision() != revision.number()) {
            return Optional.empty();
        }
        return Optional.ofNullable(entry.fleet().tryAcquire());
    }

    /** The fleet serving {@code revision} of its arrow, made on first use. */
    InstanceFleet fleet(Revision revision) {
        String arrow = revision.spec().name();
        Entry entry = fleets.compute(arrow, (name, current) -> {
            if (current != null && current.revision() == revision.number() && !current.fleet().retired()) {
                return current;
            }
            if (current != null) {
                retire(current.fleet());
            }
            return new Entry(revision.number(), newFleet(revision));
        });
        return entry.fleet();
    }

    /**
     * Makes {@code revision} the one served (after a deploy or rollback, or at start-up): the
     * previous revision's instances are drained now, not at the next request, and the minimum of
     * instances is started.
     */
    public void warm(Revision revision) {
        InstanceFleet fleet = fleet(revision);
        if (revision.spec().scaling().minInstances() > 0) {
            fleet.ensureMinimum();
        }
    }

    /** Stops an arrow's instances: it was deleted, or no longer runs in http mode. */
    public void remove(String arrow) {
        Entry entry = fleets.remove(arrow);
        if (entry != null) {
            retire(entry.fleet());
        }
    }

    /** Stops idle instances past their keep-alive; drops drained fleets with nothing left. */
    public void reapIdle() {
        try {
            fleets.values().forEach(entry -> entry.fleet().reapIdle());
            draining.removeIf(fleet -> fleet.stats().instances() == 0 && fleet.stats().starting() == 0);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reaping idle instances failed", e);
        }
    }

    /** Every fleet's numbers, summed. */
    public FleetStats stats() {
        int instances = 0;
        int starting = 0;
        int busy = 0;
        int inFlight = 0;
        int waiting = 0;
        List<InstanceFleet> all = new ArrayList<>(draining);
        fleets.values().forEach(entry -> all.add(entry.fleet()));
        for (InstanceFleet fleet : all) {
            FleetStats stats = fleet.stats();
            instances += stats.instances();
            starting += stats.starting();
            busy += stats.busy();
            inFlight += stats.inFlight();
            waiting += stats.waiting();
        }
        return new FleetStats(instances, starting, busy, inFlight, waiting);
    }

    /** The running instances of an arrow's current fleet. */
    public List<Instance> instances(String arrow) {
        Entry entry = fleets.get(arrow);
        return entry == null ? List.of() : entry.fleet().instances();
    }

    @Override
    public void close() {
        reaper.shutdownNow();
        fleets.values().forEach(entry -> entry.fleet().close());
        draining.forEach(InstanceFleet::close);
        synchronized (this) {
            closed = true;
            if (client != null) {
                client.close();
            }
        }
    }

    private void retire(InstanceFleet fleet) {
        fleet.drain();
        draining.add(fleet);
    }

    private InstanceFleet newFleet(Revision revision) {
        ArrowSpec spec = revision.spec();
        var policy = new FleetPolicy(spec.scaling().concurrency(), spec.scaling().minInstances(),
                spec.scaling().maxInstances(), spec.scaling().keepAlive(), settings.maxWaiting(), settings.maxWait());
        String name = spec.name() + "-r" + revision.number();
        var starter = new StarterOnce(revision);
        return new InstanceFleet(name, policy, spec.limits().memoryBytes(), id -> start(starter.get(), spec, id), clock,
                events, budget);
    }

    private Instance start(InstanceStarter starter, ArrowSpec spec, String id)
            throws InstanceStartException, InterruptedException {
        SandboxApi give = api;
        if (give == null) {
            return starter.start(id);
        }
        SandboxToken token = give.mint(spec);
        try {
            Instance instance = starter.start(id, SandboxApi.environment(token));
            instance.whenEnded(token::close);
            return instance;
        } catch (InstanceStartException | InterruptedException | RuntimeException e) {
            token.close();
            throw e;
        }
    }

    /**
     * A revision's instance spec and the starter of its instances (with their sandbox spec), made
     * when its fleet is (at the deploy) rather than at each cold start, where they cost some 0.6 ms
     * of code that runs too rarely to be compiled. A revision and its bundle never change; a spec
     * that could not be made is tried again at the next start.
     */
    private final class StarterOnce {
        private final Revision revision;
        private volatile InstanceStarter starter;

        StarterOnce(Revision revision) {
            this.revision = revision;
            try {
                starter = new InstanceStarter(driverFor(revision), instanceSpec(revision), clock, client());
            } catch (InstanceStartException | RuntimeException e) {
                // reported by the start that needs it
            }
        }

        InstanceStarter get() throws InstanceStartException {
            InstanceStarter made = starter;
            if (made == null) {
                made = new InstanceStarter(driverFor(revision), instanceSpec(revision), clock, client());
                starter = made;
            }
            return made;
        }
    }

    /** Starts the instances of {@code isolation: vm} arrows in {@code tier}'s microVMs. */
    public void giveVmTier(VmTier tier) {
        this.vm = Objects.requireNonNull(tier, "tier");
    }

    /** The process tier's driver, or the VM tier's for a VM arrow (made, and KVM probed, on first use). */
    private SandboxDriver driverFor(Revision revision) throws InstanceStartException {
        if (revision.spec().isolation() != Isolation.VM) {
            return driver;
        }
        VmTier tier = vm;
        if (tier == null) {
            throw new InstanceStartException("this node has no VM tier", Optional.empty(), "");
        }
        try {
            return tier.open().driver();
        } catch (dev.arrow.sandbox.SandboxException e) {
            throw new InstanceStartException("the VM tier cannot start: " + e.getMessage(), Optional.empty(), "");
        }
    }

    private InstanceSpec instanceSpec(Revision revision) throws InstanceStartException {
        ArrowSpec spec = revision.spec();
        Optional<Path> code = spec.bundle().flatMap(bundles::path);
        if (spec.bundle().isPresent() && code.isEmpty()) {
            throw new InstanceStartException("the code bundle " + spec.bundle().get() + " is missing from this node",
                    Optional.empty(), "");
        }
        List<String> command = spec.command();
        Map<String, String> env = new LinkedHashMap<>(spec.env());
        List<Mount> mounts = List.of();
        if (spec.runtime().isPresent()) {
            RuntimeLaunchers.Launch launch = runtimes.launch(spec.runtime().get());
            command = launch.command();
            env.putAll(launch.env());
            mounts = launch.mounts();
        }
        SandboxApi give = api;
        if (give != null) {
            mounts = new ArrayList<>(mounts);
            mounts.add(give.mount());
        }
        env.putAll(InvocationService.platformVariables(spec.name(), revision.number(), spec));
        return new InstanceSpec(command, env, code, mounts, InvocationService.limitsOf(spec.limits()), spec.network(),
                spec.http().port(),
                spec.http().readinessPath(), spec.http().startTimeout());
    }
}
