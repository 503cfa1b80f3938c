package dev.arrow.server;

import dev.arrow.flows.execution.FlowListener;
import dev.arrow.flows.runs.FlowStore;
import dev.arrow.flows.runs.RunStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Flow runs and steps on /metrics: {@code arrow_flow_runs_started_total}, {@code ..._succeeded_total},
 * {@code ..._failed_total} (tagged failed or timed_out), {@code ..._cancelled_total}, the runs running
 * now, and step durations by kind.
 */
final class FlowMetrics implements FlowListener {

    private final MeterRegistry registry;
    private final Counter started;
    private final Counter succeeded;
    private final Counter failed;
    private final Counter timedOut;
    private final Counter cancelled;

    FlowMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.started = Counter.builder("arrow.flow.runs.started").description("Flow runs started").register(registry);
        this.succeeded = Counter.builder("arrow.flow.runs.succeeded").description("Flow runs that succeeded").register(registry);
        this.failed = Counter.builder("arrow.flow.runs.failed").tag("status", "failed")
                .description("Flow runs that failed or timed out").register(registry);
        this.timedOut = Counter.builder("arrow.flow.runs.failed").tag("status", "timed_out")
                .description("Flow runs that failed or timed out").register(registry);
        this.cancelled = Counter.builder("arrow.flow.runs.cancelled").description("Flow runs cancelled").register(registry);
    }

    /** The runs RUNNING now, as stored (resumed runs included), read at each scrape. */
    void bind(FlowStore store) {
        Gauge.builder("arrow.flow.runs.running", store, FlowStore::countRunning)
                .description("Flow runs running now").register(registry);
    }

    @Override
    public void runStarted(String flow) {
        started.increment();
    }

    @Override
    public void runEnded(String flow, RunStatus status) {
        switch (status) {
            case SUCCEEDED -> succeeded.increment();
            case FAILED -> failed.increment();
            case TIMED_OUT -> timedOut.increment();
            case CANCELLED -> cancelled.increment();
            case RUNNING -> {
            }
        }
    }

    @Override
    public void stepEnded(String flow, String kind, Duration took) {
        Timer.builder("arrow.flow.step.duration").tag("kind", kind).description("How long flow steps took, by kind")
                .register(registry).record(took);
    }
}
