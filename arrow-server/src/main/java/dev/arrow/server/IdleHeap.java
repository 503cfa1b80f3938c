package dev.arrow.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Gives the heap a load grew back to the machine once the node is idle. The node's collector
 * (SerialGC, for its start and its idle footprint) keeps every page the heap ever committed until a
 * full collection, and an idle node makes none: after a burst of large bodies it would hold its
 * whole heap limit for ever. So when no collection has run for a whole period (the node allocates
 * next to nothing) and the heap has grown well past what it held after the last release, one full
 * collection runs, with the heap's free-ratio bounds lowered for it alone so that it shrinks to
 * little more than the live data (the launcher's {@code -XX:-ShrinkHeapInSteps} lets it shrink in
 * that one step). Under load the JVM's own sizing is untouched, and a busy node is never
 * interrupted. `arrow bench soak` shows the effect.
 */
final class IdleHeap implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(IdleHeap.class.getName());

    /** How long without any collection makes the node idle; the release comes one to two periods into the quiet. */
    static final Duration PERIOD = Duration.ofSeconds(10);

    /** Growth of the committed heap over its floor worth a full collection. */
    static final long SLACK_BYTES = 32L << 20;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    private final Runnable onRelease;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("arrow-idle-heap").daemon().factory());
    private final Decision decision = new Decision(SLACK_BYTES);
    private HotSpotDiagnosticMXBean flags; // looked up at the first release: nothing of it at start-up

    IdleHeap(Runnable onRelease) {
        this.onRelease = onRelease;
    }

    void start() {
        ticker.scheduleWithFixedDelay(this::tick, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            if (decision.collect(collections(), memory.getHeapMemoryUsage().getCommitted())) {
                long before = memory.getHeapMemoryUsage().getCommitted();
                collectTightly();
                long after = memory.getHeapMemoryUsage().getCommitted();
                decision.collected(collections(), after);
                onRelease.run();
                LOG.fine(() -> "idle: heap " + (before >> 20) + " MiB -> " + (after >> 20) + " MiB");
            }
        } catch (RuntimeException e) {
            LOG.warning("releasing the idle heap: " + e.getMessage()); // the next tick tries again
        }
    }

    /**
     * A full collection after which the heap keeps at most 20% free. Both ratios are manageable
     * flags; the minimum goes down first and comes back last, as the JVM wants min <= max always.
     */
    private void collectTightly() {
        if (flags == null) {
            flags = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        }
        String min = flags.getVMOption("MinHeapFreeRatio").getValue();
        String max = flags.getVMOption("MaxHeapFreeRatio").getValue();
        try {
            flags.setVMOption("MinHeapFreeRatio", "10");
            flags.setVMOption("MaxHeapFreeRatio", "20");
            System.gc();
        } finally {
            flags.setVMOption("MaxHeapFreeRatio", max);
            flags.setVMOption("MinHeapFreeRatio", min);
        }
    }

    private long collections() {
        long total = 0;
        for (GarbageCollectorMXBean collector : collectors) {
            total += Math.max(0, collector.getCollectionCount());
        }
        return total;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }

    /**
     * The rule, apart from the JVM's beans: collect when no collection happened since the last look
     * and the committed heap is {@code slack} bytes over its floor, the least it was seen at since
     * the last release.
     */
    static final class Decision {

        private final long slack;
        private long lastCollections = -1;
        private long floor = Long.MAX_VALUE;

        Decision(long slack) {
            this.slack = slack;
        }

        boolean collect(long collections, long committed) {
            boolean quiet = collections == lastCollections;
            lastCollections = collections;
            floor = Math.min(floor, committed);
            return quiet && committed > floor + slack;
        }

        void collected(long collections, long committed) {
            lastCollections = collections;
            floor = committed;
        }
    }
}
