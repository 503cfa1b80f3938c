package dev.arrow.flows.execution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.runs.FlowRevision;
import dev.arrow.flows.runs.FlowStore;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Flows on one node: deploys (read, checked, stored), runs (each on a named virtual thread) and
 * what the API asks of them. Thread-safe.
 */
public final class FlowEngine implements AutoCloseable {

    private final FlowStore store;
    private final FlowCalls calls;
    private final FlowEvents events;
    private final Clock clock;
    private final FlowSettings settings;
    private final FlowListener listener;

    public FlowEngine(FlowStore store, FlowCalls calls, FlowEvents events, Clock clock, FlowSettings settings,
            FlowListener listener) {
        this.store = store;
        this.calls = calls;
        this.events = events;
        this.clock = clock;
        this.settings = settings;
        this.listener = listener;
    }

    /**
     * Reads {@code source} in {@code language}, checks it (arrows called must exist) and stores it
     * as the flow's next revision; the same source as the latest revision gives that revision.
     * {@code name} names an ASL flow (States Language has no name of its own); a DSL flow is named
     * by its {@code document.name}, and a {@code name} that differs is refused.
     */
    public FlowRevision deploy(Language language, String source, Optional<String> name)
            throws DefinitionException, FlowException {
        throw new UnsupportedOperationException();
    }

    /** A revision's definition, read again from its stored source (and cached). */
    public FlowDefinition definition(FlowRevision revision) throws DefinitionException {
        throw new UnsupportedOperationException();
    }

    public List<FlowRevision> flows() {
        return store.flows();
    }

    public Optional<FlowRevision> flow(String name) {
        return store.latest(name);
    }

    public List<FlowRevision> revisions(String name) {
        return store.revisions(name);
    }

    /** Deletes a flow; its running runs go on on their pinned revision. False when there is none. */
    public boolean delete(String name) {
        return store.delete(name);
    }

    /**
     * Starts a run of the flow's latest revision with {@code input}. With {@code runId}, a start
     * is idempotent: a run of that id that exists already is returned as it is (an event's or a
     * schedule's delivery made twice starts one run).
     */
    public RunRecord start(String flow, JsonNode input, String startedBy, Optional<String> runId)
            throws FlowException {
        throw new UnsupportedOperationException();
    }

    public Optional<RunRecord> run(String id) {
        return store.run(id);
    }

    public List<RunRecord> runs(Optional<String> flow, Optional<RunStatus> status, int limit) {
        return store.runs(flow, status, limit);
    }

    /** The run's steps, in the order they started. */
    public List<StepRecord> steps(String runId) {
        return store.steps(runId);
    }

    /** Waits until the run is finished or {@code max} has passed, and returns it as it then is. */
    public RunRecord await(String runId, Duration max) throws FlowException, InterruptedException {
        throw new UnsupportedOperationException();
    }

    /** Cancels a RUNNING run: its steps in flight are cancelled, nothing more starts. CONFLICT when it is finished. */
    public RunRecord cancel(String runId) throws FlowException {
        throw new UnsupportedOperationException();
    }

    /**
     * Runs a FAILED or TIMED_OUT run again from the steps that failed: steps that succeeded give
     * their stored outputs. CONFLICT when the run is RUNNING, SUCCEEDED or CANCELLED.
     */
    public RunRecord redrive(String runId) throws FlowException {
        throw new UnsupportedOperationException();
    }

    /** An event the node accepted (stored), as structured CloudEvents JSON: listens waiting for it take it. */
    public void eventAccepted(JsonNode structuredEvent) {
        throw new UnsupportedOperationException();
    }

    /** Resumes every RUNNING run (after a restart) and starts the purge of finished runs; call once. */
    public void resume() {
        throw new UnsupportedOperationException();
    }

    /** Deletes the runs that finished more than the retention ago; returns how many. */
    public int purge() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
