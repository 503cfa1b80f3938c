package dev.arrow.platform.invocations;

import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.arrows.ArrowService;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.InMemoryArrowStore;
import dev.arrow.platform.arrows.Revision;
import dev.arrow.platform.bundles.InMemoryBundleStore;
import dev.arrow.runtime.ExecInvoker;
import dev.arrow.runtime.instances.FleetEvents;
import dev.arrow.runtime.instances.MemoryBudget;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The platform as a node wires it ({@code Node.start}), over in-memory stores, fake sandboxes and
 * a manual clock. {@link #restart()} makes the next run of the node over the same stores.
 */
final class TestNode implements AutoCloseable {

    /** Room for 64 instances of 128 MiB. */
    static final long MEMORY = 8L << 30;

    final ManualClock clock;
    final InMemoryArrowStore arrowStore;
    final InMemoryBundleStore bundles;
    final InMemoryInvocationStore store;
    final FakeSandboxes sandboxes = new FakeSandboxes();
    final RecordingListener listener = new RecordingListener();
    final DispatchSettings settings;
    final MemoryBudget budget;
    final ArrowService arrows;
    final WarmInstances warm;
    final InvocationService invocations;

    /** A node with warm instances. */
    TestNode(DispatchSettings settings) {
        this(settings, new MemoryBudget(MEMORY));
    }

    TestNode(DispatchSettings settings, MemoryBudget budget) {
        this(settings, budget, true, new ManualClock(), new InMemoryArrowStore(), new InMemoryBundleStore(),
                new InMemoryInvocationStore());
    }

    private TestNode(DispatchSettings settings, MemoryBudget budget, boolean withWarm, ManualClock clock,
            InMemoryArrowStore arrowStore, InMemoryBundleStore bundles, InMemoryInvocationStore store) {
        this.settings = settings;
        this.budget = budget;
        this.clock = clock;
        this.arrowStore = arrowStore;
        this.bundles = bundles;
        this.store = store;
        this.arrows = new ArrowService(arrowStore, bundles, clock);
        // The reaper's own schedule never comes in a test: a test reaps when it has moved the clock.
        this.warm = withWarm ? new WarmInstances(sandboxes, bundles, RuntimeLaunchers.NONE, settings, clock,
                FleetEvents.NONE, budget, Duration.ofHours(1)) : null;
        this.invocations = new InvocationService(arrowStore, bundles, store,
                new ExecInvoker(sandboxes, settings.output()), warm, settings, clock, listener);
    }

    /** A node that runs no http-mode arrows. */
    static TestNode withoutWarmInstances(DispatchSettings settings) {
        return new TestNode(settings, new MemoryBudget(MEMORY), false, new ManualClock(), new InMemoryArrowStore(),
                new InMemoryBundleStore(), new InMemoryInvocationStore());
    }

    /** The next run of this node, over its stores, on a clock as far on; not started. */
    TestNode restart() {
        var later = new ManualClock();
        later.advance(Duration.between(ManualClock.ORIGIN, clock.instant()));
        return new TestNode(settings, new MemoryBudget(budget.totalBytes()), warm != null, later, arrowStore, bundles,
                store);
    }

    /** Deploys as the API does: stores the revision, then tells the invocations. */
    Revision deploy(ArrowSpec spec) {
        Revision revision = arrows.deploy(spec).traffic();
        invocations.arrowChanged(spec.name());
        return revision;
    }

    /** Submits once the node has a pending place for it: a finished invocation's thread gives its place back as it ends. */
    InvocationRecord submitWhenThereIsRoom(String arrow, byte[] input) throws InterruptedException {
        var accepted = new AtomicReference<InvocationRecord>();
        Eventually.awaitTrue(() -> {
            try {
                accepted.set(invocations.submit(arrow, input));
                return true;
            } catch (OverloadedException e) {
                return false;
            }
        });
        return accepted.get();
    }

    InvocationRecord stored(String id) {
        return store.find(id).orElseThrow(() -> new AssertionError("no record " + id));
    }

    @Override
    public void close() {
        sandboxes.releaseAll();
        invocations.close();
        if (warm != null) {
            warm.close();
        }
    }
}
