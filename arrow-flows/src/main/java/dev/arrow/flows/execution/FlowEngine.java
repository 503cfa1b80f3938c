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
import dev.arrow.flows.asl.AslImporter;
import dev.arrow.flows.definition.Definitions;
import dev.arrow.flows.dsl.DslReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Flows on one node: deploys (read, checked, stored), runs (each on a named virtual thread) and
 * what the API asks of them. Thread-safe.
 */
public final class FlowEngine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(FlowEngine.class.getName());
    /** The DSL's rule for names (a DNS label), applied to flows from either language. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9](-?[a-z0-9])*");
    private static final int MAX_NAME = 63;
    private static final Duration PURGE_EVERY = Duration.ofMinutes(10);
    private static final int PURGE_BATCH = 1000;

    private final FlowStore store;
    private final FlowCalls calls;
    private final FlowEvents events;
    private final Timers timers;
    private final FlowSettings settings;
    private final FlowListener listener;
    private final Listens listens = new Listens();
    private final Map<String, FlowDefinition> definitions = new ConcurrentHashMap<>();
    private final Map<String, RunExecution> active = new ConcurrentHashMap<>();
    private final Object starting = new Object();
    private volatile boolean closed;
    private volatile Thread purger;

    public FlowEngine(FlowStore store, FlowCalls calls, FlowEvents events, Clock clock, FlowSettings settings,
            FlowListener listener) {
        this.store = store;
        this.calls = calls;
        this.events = events;
        this.timers = new Timers(clock);
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
        int size = source.getBytes(StandardCharsets.UTF_8).length;
        if (size > settings.maxDefinitionBytes()) {
            throw new FlowException(FlowException.Kind.TOO_LARGE, "the definition is " + size
                    + " bytes; a flow's definition is at most " + settings.maxDefinitionBytes());
        }
        if (source.isBlank()) {
            throw new FlowException(FlowException.Kind.INVALID, "the definition is empty");
        }
        FlowDefinition definition = switch (language) {
            case DSL -> DslReader.read(source);
            case ASL -> AslImporter.read(name.orElseThrow(() -> new FlowException(FlowException.Kind.INVALID,
                    "a States Language flow needs a name (States Language has none of its own)")), source);
        };
        if (language == Language.DSL && name.isPresent() && !name.get().equals(definition.name())) {
            throw new FlowException(FlowException.Kind.INVALID, "the name " + name.get()
                    + " differs from the definition's document.name " + definition.name());
        }
        checkName(definition.name(), language == Language.DSL ? "/document/name" : "name");
        Definitions.validate(definition, calls::exists);
        FlowRevision revision = store.deploy(definition.name(), language, source, timers.now());
        definitions.put(key(revision), definition);
        return revision;
    }

    private static void checkName(String name, String field) throws DefinitionException {
        if (name == null || name.length() > MAX_NAME || !NAME.matcher(name).matches()) {
            throw new DefinitionException(field, "a flow's name is 1 to " + MAX_NAME + " lower-case letters, digits"
                    + " and single hyphens inside, like a DNS label; '" + name + "' is not");
        }
    }

    /** A revision's definition, read again from its stored source (and cached). */
    public FlowDefinition definition(FlowRevision revision) throws DefinitionException {
        FlowDefinition known = definitions.get(key(revision));
        if (known != null) {
            return known;
        }
        FlowDefinition read = switch (revision.language()) {
            case DSL -> DslReader.read(revision.source());
            case ASL -> AslImporter.read(revision.flow(), revision.source());
        };
        definitions.put(key(revision), read);
        return read;
    }

    private static String key(FlowRevision revision) {
        return revision.flow() + "@" + revision.revision();
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
        if (closed) {
            throw new FlowException(FlowException.Kind.BUSY, "the node is stopping");
        }
        FlowRevision revision = store.latest(flow).orElseThrow(() -> new FlowException(FlowException.Kind.NOT_FOUND,
                "no flow named " + flow));
        String inputText = RunExecution.text(input);
        int size = inputText.getBytes(StandardCharsets.UTF_8).length;
        if (size > settings.maxPayloadBytes()) {
            throw new FlowException(FlowException.Kind.TOO_LARGE, "the input is " + size
                    + " bytes of JSON; a run's input is at most " + settings.maxPayloadBytes());
        }
        FlowDefinition definition;
        try {
            definition = definition(revision);
        } catch (DefinitionException e) {
            throw new FlowException(FlowException.Kind.INVALID, "revision " + revision.revision() + " of " + flow
                    + " can no longer be read: " + e.getMessage());
        }
        RunRecord run;
        synchronized (starting) {
            if (runId.isPresent()) {
                Optional<RunRecord> existing = store.run(runId.get());
                if (existing.isPresent()) {
                    if (!existing.get().flow().equals(flow)) {
                        throw new FlowException(FlowException.Kind.CONFLICT, "the run id " + runId.get()
                                + " belongs to a run of " + existing.get().flow());
                    }
                    return existing.get();
                }
            }
            if (store.countRunning() >= settings.maxRunning()) {
                throw new FlowException(FlowException.Kind.BUSY, "the node runs " + settings.maxRunning()
                        + " flow runs already, its limit: start this one when some have ended");
            }
            run = new RunRecord(runId.orElseGet(FlowEngine::newRunId), flow, revision.revision(), RunStatus.RUNNING,
                    inputText, Optional.empty(), Optional.empty(), 0, timers.now(), Optional.empty(), startedBy);
            store.start(run);
        }
        listener.runStarted(flow);
        launch(run, definition, List.of());
        return run;
    }

    /** A run id that sorts by start time: milliseconds, then randomness. */
    private static String newRunId() {
        long millis = System.currentTimeMillis();
        long random = ThreadLocalRandom.current().nextLong() & 0xffffffffffL;
        return String.format("%011x%010x", millis, random);
    }

    private void launch(RunRecord run, FlowDefinition definition, List<StepRecord> stored) {
        var journal = new Journal(store, settings, run.redrives(), stored);
        var execution = new RunExecution(run, definition, journal, store, calls, events, listens, timers, settings,
                listener, ended -> active.remove(ended.id(), ended));
        active.put(run.id(), execution);
        Thread.ofVirtual().name("flow-run-" + run.id()).start(execution);
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
        RunExecution execution = active.get(runId);
        if (execution != null) {
            try {
                execution.done().get(max.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // as it then is
            }
        }
        return store.run(runId).orElseThrow(() -> new FlowException(FlowException.Kind.NOT_FOUND, "no run " + runId));
    }

    /** Cancels a RUNNING run: its steps in flight are cancelled, nothing more starts. CONFLICT when it is finished. */
    public RunRecord cancel(String runId) throws FlowException {
        RunRecord run = store.run(runId).orElseThrow(() -> new FlowException(FlowException.Kind.NOT_FOUND,
                "no run " + runId));
        if (run.status().finished()) {
            throw new FlowException(FlowException.Kind.CONFLICT, "the run " + runId + " is " + run.status().wireName()
                    + " already");
        }
        if (!store.finish(runId, RunStatus.CANCELLED, Optional.empty(), Optional.empty(), timers.now())) {
            throw new FlowException(FlowException.Kind.CONFLICT, "the run " + runId + " ended meanwhile");
        }
        listener.runEnded(run.flow(), RunStatus.CANCELLED);
        RunExecution execution = active.get(runId);
        if (execution != null) {
            execution.stop();
        }
        return store.run(runId).orElseThrow();
    }

    /**
     * Runs a FAILED or TIMED_OUT run again from the steps that failed: steps that succeeded give
     * their stored outputs. CONFLICT when the run is RUNNING, SUCCEEDED or CANCELLED.
     */
    public RunRecord redrive(String runId) throws FlowException {
        RunRecord run = store.run(runId).orElseThrow(() -> new FlowException(FlowException.Kind.NOT_FOUND,
                "no run " + runId));
        if (run.status() != RunStatus.FAILED && run.status() != RunStatus.TIMED_OUT) {
            throw new FlowException(FlowException.Kind.CONFLICT, "only a failed or timed-out run can be redriven; "
                    + runId + " is " + run.status().wireName());
        }
        RunExecution previous = active.get(runId);
        if (previous != null) {
            try {
                previous.done().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FlowException(FlowException.Kind.CONFLICT, "interrupted");
            } catch (ExecutionException | TimeoutException e) {
                throw new FlowException(FlowException.Kind.CONFLICT, "the run " + runId + " is still ending");
            }
        }
        FlowDefinition definition = pinned(run);
        if (!store.redrive(runId, timers.now())) {
            throw new FlowException(FlowException.Kind.CONFLICT, "the run " + runId + " changed meanwhile");
        }
        RunRecord again = store.run(runId).orElseThrow();
        listener.runStarted(run.flow());
        launch(again, definition, store.steps(runId));
        return again;
    }

    private FlowDefinition pinned(RunRecord run) throws FlowException {
        FlowRevision revision = store.revision(run.flow(), run.revision()).orElseThrow(() -> new FlowException(
                FlowException.Kind.CONFLICT, "revision " + run.revision() + " of " + run.flow() + " is gone"));
        try {
            return definition(revision);
        } catch (DefinitionException e) {
            throw new FlowException(FlowException.Kind.INVALID, "revision " + run.revision() + " of " + run.flow()
                    + " can no longer be read: " + e.getMessage());
        }
    }

    /** An event the node accepted (stored), as structured CloudEvents JSON: listens waiting for it take it. */
    public void eventAccepted(JsonNode structuredEvent) {
        listens.accepted(structuredEvent);
    }

    /** Resumes every RUNNING run (after a restart) and starts the purge of finished runs; call once. */
    public void resume() {
        for (RunRecord run : store.running()) {
            if (active.containsKey(run.id())) {
                continue;
            }
            try {
                launch(run, pinned(run), store.steps(run.id()));
            } catch (FlowException e) {
                LOG.log(System.Logger.Level.WARNING, "flow run " + run.id() + " cannot resume: " + e.getMessage());
                var error = new dev.arrow.flows.definition.FlowError(dev.arrow.flows.definition.FlowError.RUNTIME, 500,
                        "Cannot resume", e.getMessage(), "");
                store.finish(run.id(), RunStatus.FAILED, Optional.empty(), Optional.of(RunExecution.text(error.toJson())),
                        timers.now());
            }
        }
        purger = Thread.ofVirtual().name("flow-purge").start(this::purgeLoop);
    }

    private void purgeLoop() {
        while (!closed) {
            try {
                purge();
                Thread.sleep(PURGE_EVERY);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "purging finished flow runs failed", e);
            }
        }
    }

    /** Deletes the runs that finished more than the retention ago; returns how many. */
    public int purge() {
        Instant cutoff = timers.now().minus(settings.retention());
        int total = 0;
        int purged;
        do {
            purged = store.purge(cutoff, PURGE_BATCH);
            total += purged;
        } while (purged == PURGE_BATCH && !closed);
        return total;
    }

    /** Wakes every timer to look at the clock again: a test that moved its clock calls this. */
    void nudge() {
        timers.nudge();
    }

    /** Stops every run where it is (each resumes at the next start) and the purge. */
    @Override
    public void close() {
        closed = true;
        Thread purging = purger;
        if (purging != null) {
            purging.interrupt();
        }
        List<RunExecution> stopping = List.copyOf(active.values());
        stopping.forEach(RunExecution::stop);
        for (RunExecution execution : stopping) {
            try {
                execution.done().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                LOG.log(System.Logger.Level.WARNING, "flow run " + execution.id() + " did not stop within 5 s");
            }
        }
    }
}
