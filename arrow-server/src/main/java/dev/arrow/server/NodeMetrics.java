package dev.arrow.server;

import dev.arrow.platform.access.SandboxTokens;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationListener;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.WarmInstances;
import dev.arrow.runtime.instances.FleetEvents;
import dev.arrow.runtime.instances.Instance;
import dev.arrow.runtime.instances.InstanceStartException;
import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.services.queues.QueueInfo;
import dev.arrow.services.queues.QueueService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The node's Prometheus metrics: invocations by arrow and outcome, cold starts, durations, load, the JVM. */
final class NodeMetrics implements InvocationListener, FleetEvents {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, ArrowMeters> arrows = new ConcurrentHashMap<>();
    private volatile QueueGauges queueGauges;

    NodeMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** Gauges that read the live service; bound once it exists (it needs this listener first). */
    void bind(InvocationService invocations, WarmInstances warm, SandboxDriver driver) {
        Gauge.builder("arrow.instances", warm, w -> w.stats().instances())
                .description("Warm instances of http-mode arrows running now").register(registry);
        Gauge.builder("arrow.instances.starting", warm, w -> w.stats().starting())
                .description("Instances being started").register(registry);
        Gauge.builder("arrow.instances.inflight", warm, w -> w.stats().inFlight())
                .description("Requests being served by warm instances").register(registry);
        Gauge.builder("arrow.instances.waiting", warm, w -> w.stats().waiting())
                .description("Requests waiting for a free instance").register(registry);
        var pool = new PoolStats(driver::prewarmStats); // held by the gauges alone: strong references, or it is collected
        Gauge.builder("arrow.prewarm.target", pool, p -> p.now().target()).strongReference(true)
                .description("Prewarmed sandboxes the pool keeps").register(registry);
        Gauge.builder("arrow.prewarm.ready", pool, p -> p.now().ready()).strongReference(true)
                .description("Prewarmed sandboxes waiting for a cold start now").register(registry);
        Gauge.builder("arrow.prewarm.processes", pool, p -> p.now().processes()).strongReference(true)
                .description("Processes the prewarm pool runs (a supervisor and a pid 1 per sandbox)").register(registry);
        Gauge.builder("arrow.prewarm.memory", pool, p -> p.now().memoryBytes()).baseUnit("bytes").strongReference(true)
                .description("Memory the prewarm pool holds").register(registry);
        Gauge.builder("arrow.node.heap.limit", Runtime.getRuntime(), Runtime::maxMemory).baseUnit("bytes")
                .description("The heap limit the node's JVM runs with (serve --memory)").register(registry);
        Gauge.builder("arrow.sandboxes.alive", invocations, InvocationService::running)
                .description("Sandboxes running invocations now").register(registry);
        Gauge.builder("arrow.queue.depth", invocations, InvocationService::queueDepth)
                .description("Invocations waiting for capacity, sync and async").register(registry);
    }

    /**
     * The service queues' figures, read once per scrape: {@code arrow_queue_messages{queue,state}}
     * (visible, inflight, delayed) and {@code arrow_queue_oldest_message_age_seconds{queue}}, rows
     * for queues made or deleted since the last scrape coming and going with them. Not
     * {@code arrow.queue.depth}, which counts invocations waiting for capacity.
     */
    void bind(SandboxTokens tokens) {
        Gauge.builder("arrow.sandbox.tokens", tokens, SandboxTokens::live)
                .description("Sandbox tokens live now: one per running exec invocation and warm instance").register(registry);
    }

    void bind(NodeEvents events) {
        FunctionCounter.builder("arrow.events.accepted", events, NodeEvents::accepted)
                .description("CloudEvents stored from POST /v1/events (duplicates not counted)").register(registry);
        for (String outcome : List.of("delivered", "failed", "deferred")) {
            FunctionCounter.builder("arrow.events.deliveries", events, e -> e.attempts(outcome)).tag("outcome", outcome)
                    .description("Attempts at delivering an event, by outcome (deferred: the arrow was at capacity)")
                    .register(registry);
        }
        FunctionCounter.builder("arrow.events.dead.letters", events.deliveries(), d -> d.deadLettered())
                .description("Events sent to a dead-letter queue after their last attempt").register(registry);
        Gauge.builder("arrow.events.dead.letters.queued", events, NodeEvents::nodeDeadLetters)
                .description("Messages in the node-wide dead-letter queue, arrow-dead-letters").register(registry);
        Gauge.builder("arrow.events.deliveries.pending", events, NodeEvents::pending)
                .description("Deliveries owed and not yet made: due, or waiting for a retry").register(registry);
    }

    void bind(QueueService queues) {
        queueGauges = new QueueGauges(queues,
                MultiGauge.builder("arrow.queue.messages")
                        .description("Messages of each service queue, by state: visible, inflight, delayed")
                        .register(registry),
                MultiGauge.builder("arrow.queue.oldest.message.age").baseUnit("seconds")
                        .description("Age of the oldest message of each service queue (0 when empty)")
                        .register(registry));
    }

    /** Counts the idle node's full collections ({@link IdleHeap}). */
    Runnable idleHeapReleases() {
        Counter released = Counter.builder("arrow.node.idle.heap.releases")
                .description("Full collections run once the node went idle, giving a load's heap back").register(registry);
        return released::increment;
    }

    @Override
    public void finished(InvocationRecord record) {
        Execution run = record.execution().orElseThrow();
        // Looked up once per arrow: building a meter's id is a visible cost on the gateway's path (`arrow bench http`).
        ArrowMeters meters = arrows.computeIfAbsent(record.arrow(), this::arrowMeters);
        meters.invocations().computeIfAbsent(outcomeOf(run), outcome -> Counter.builder("arrow.invocations")
                .description("Finished invocations").tag("arrow", record.arrow()).tag("outcome", outcome)
                .register(registry)).increment();
        if (run.cold()) {
            meters.coldStarts().increment();
        }
        meters.duration().record(run.duration());
        if (run.isolation() == Isolation.VM) {
            countVm(run);
        }
    }

    /** The VM tier's invocations by outcome, and its accelerator once a VM invocation has made the tier. */
    private void countVm(Execution run) {
        Counter.builder("arrow.vm.invocations").description("Finished invocations of the VM tier")
                .tag("outcome", outcomeOf(run)).register(registry).increment();
        run.accelerator().ifPresent(accelerator -> Gauge.builder("arrow.vm.accelerator", () -> 1)
                .description("What the VM tier's VMs run on (kvm or tcg)").tag("accelerator", accelerator)
                .strongReference(true).register(registry));
    }

    /** One arrow's meters; its invocation counters by outcome. */
    private record ArrowMeters(Map<String, Counter> invocations, Counter coldStarts, Timer duration) {
    }

    private ArrowMeters arrowMeters(String arrow) {
        return new ArrowMeters(new ConcurrentHashMap<>(),
                Counter.builder("arrow.cold.starts").description("Invocations that started an instance")
                        .tag("arrow", arrow).register(registry),
                Timer.builder("arrow.invocation.duration").description("Invocation duration, sandbox start to end")
                        .tag("arrow", arrow)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5))
                        .register(registry));
    }

    @Override
    public void sandboxEnded(SandboxResult sandbox) {
        countSandbox(sandbox);
    }

    private void countSandbox(SandboxResult sandbox) {
        Counter.builder("arrow.sandboxes.ended").description("Sandboxes that ended, by whether the prewarm pool made them")
                .tag("prewarmed", Boolean.toString(sandbox.prewarmed())).register(registry).increment();
    }

    @Override
    public void ended(String fleet, Instance instance, SandboxResult result, boolean crashed) {
        countSandbox(result);
        if (crashed) {
            Counter.builder("arrow.instance.crashes").description("Instances that ended on their own, by how")
                    .tag("outcome", result.outcome().name()).register(registry).increment();
        }
    }

    @Override
    public void startFailed(String fleet, InstanceStartException failure) {
        Counter.builder("arrow.instance.start.failures").description("Instances that never became ready")
                .register(registry).increment();
    }

    /** The flows' counters, gauge and step timer, on this node's registry. */
    FlowMetrics flows() {
        return new FlowMetrics(registry);
    }

    String scrape() {
        QueueGauges gauges = queueGauges;
        if (gauges != null) {
            gauges.refresh();
        }
        return registry.scrape();
    }

    private static String outcomeOf(Execution run) {
        // Constants: this runs for every invocation, the gateway's included.
        if (run.error().isPresent()) {
            return switch (run.error().get()) {
                case RunError.OutputTooLarge _ -> "output-too-large";
                case RunError.HandlerFailed _ -> "handler-error";
                case RunError.InstanceFailed _ -> "instance-failed";
                case RunError.Abandoned _ -> "abandoned";
            };
        }
        return run.succeeded() ? "success" : run.outcome().name();
    }

    /** The VM tier's pool of restored VMs ({@code serve --vm-prewarm}). */
    void bindVm(dev.arrow.platform.invocations.VmTier vm) {
        var pool = new PoolStats(vm::prewarmStats);
        Gauge.builder("arrow.vm.prewarm.target", pool, p -> p.now().target()).strongReference(true)
                .description("Restored VMs the VM pool keeps").register(registry);
        Gauge.builder("arrow.vm.prewarm.ready", pool, p -> p.now().ready()).strongReference(true)
                .description("Restored VMs waiting for a VM arrow now").register(registry);
        Gauge.builder("arrow.vm.prewarm.memory", pool, p -> p.now().memoryBytes()).baseUnit("bytes").strongReference(true)
                .description("Resident memory of the VM pool's qemu and virtiofsd processes").register(registry);
    }

    /** The pool's stats, asked of the driver once per scrape rather than once per gauge. */
    private static final class PoolStats {
        private static final long FRESH_NANOS = 500_000_000L;
        private final java.util.function.Supplier<PrewarmStats> source;
        private PrewarmStats stats; // guarded by this
        private long readAt; // guarded by this

        PoolStats(java.util.function.Supplier<PrewarmStats> source) {
            this.source = source;
        }

        synchronized PrewarmStats now() {
            long at = System.nanoTime();
            if (stats == null || at - readAt > FRESH_NANOS) {
                stats = source.get();
                readAt = at;
            }
            return stats;
        }
    }

    /** The queues' gauges, set again from one read of every queue's figures. */
    private record QueueGauges(QueueService queues, MultiGauge messages, MultiGauge oldestAge) {

        synchronized void refresh() {
            List<QueueInfo> all;
            try {
                all = queues.queues();
            } catch (RuntimeException e) {
                return; // a scrape still answers the rest; the rows keep their last values
            }
            List<MultiGauge.Row<?>> counts = new ArrayList<>();
            List<MultiGauge.Row<?>> ages = new ArrayList<>();
            for (QueueInfo info : all) {
                counts.add(MultiGauge.Row.of(Tags.of("queue", info.name(), "state", "visible"), info.visible()));
                counts.add(MultiGauge.Row.of(Tags.of("queue", info.name(), "state", "inflight"), info.inFlight()));
                counts.add(MultiGauge.Row.of(Tags.of("queue", info.name(), "state", "delayed"), info.delayed()));
                ages.add(MultiGauge.Row.of(Tags.of("queue", info.name()),
                        info.oldestAge().map(age -> age.toMillis() / 1000.0).orElse(0.0)));
            }
            messages.register(counts, true);
            oldestAge.register(ages, true);
        }
    }
}
