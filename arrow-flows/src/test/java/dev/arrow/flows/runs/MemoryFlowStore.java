package dev.arrow.flows.runs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link FlowStore} in memory, for tests: every method holds one lock, so it is thread-safe and
 * each call is atomic like a transaction. {@code synced} makes no difference here.
 */
public final class MemoryFlowStore implements FlowStore {

    private static final Comparator<RunRecord> OLDEST_FIRST =
            Comparator.comparing(RunRecord::startedAt).thenComparing(RunRecord::id);
    private static final Comparator<StepRecord> STEP_ORDER =
            Comparator.comparing(StepRecord::startedAt).thenComparing(StepRecord::path);

    /** A stored revision and whether its flow was deleted since it was deployed. */
    private record Stored(FlowRevision revision, boolean deleted) {
    }

    /** Per flow, its revisions by number; a revision stays after a delete while runs need it. */
    private final Map<String, TreeMap<Integer, Stored>> revisions = new HashMap<>();
    /** Per flow, the last revision number ever given, so numbers go on after a delete and a purge. */
    private final Map<String, Integer> lastRevision = new HashMap<>();
    private final Map<String, RunRecord> runs = new HashMap<>();
    private final Map<String, Map<String, StepRecord>> steps = new HashMap<>();

    @Override
    public synchronized FlowRevision deploy(String flow, Language language, String source, Instant at) {
        Optional<FlowRevision> latest = latest(flow);
        if (latest.isPresent() && latest.get().language() == language && latest.get().source().equals(source)) {
            return latest.get();
        }
        int number = lastRevision.getOrDefault(flow, 0) + 1;
        lastRevision.put(flow, number);
        FlowRevision revision = new FlowRevision(flow, number, language, source, at);
        revisions.computeIfAbsent(flow, f -> new TreeMap<>()).put(number, new Stored(revision, false));
        return revision;
    }

    @Override
    public synchronized Optional<FlowRevision> revision(String flow, int revision) {
        return Optional.ofNullable(revisions.getOrDefault(flow, new TreeMap<>()).get(revision)).map(Stored::revision);
    }

    @Override
    public synchronized Optional<FlowRevision> latest(String flow) {
        List<FlowRevision> deployed = revisions(flow);
        return deployed.isEmpty() ? Optional.empty() : Optional.of(deployed.getLast());
    }

    @Override
    public synchronized List<FlowRevision> revisions(String flow) {
        return revisions.getOrDefault(flow, new TreeMap<>()).values().stream()
                .filter(s -> !s.deleted()).map(Stored::revision).toList();
    }

    @Override
    public synchronized List<FlowRevision> flows() {
        return revisions.keySet().stream().sorted().map(this::latest).flatMap(Optional::stream).toList();
    }

    @Override
    public synchronized boolean delete(String flow) {
        TreeMap<Integer, Stored> of = revisions.get(flow);
        if (of == null || of.values().stream().allMatch(Stored::deleted)) {
            return false;
        }
        of.replaceAll((number, stored) -> new Stored(stored.revision(), true));
        return true;
    }

    @Override
    public synchronized void start(RunRecord run) {
        if (runs.putIfAbsent(run.id(), run) != null) {
            throw new IllegalStateException("run " + run.id() + " already exists");
        }
    }

    @Override
    public synchronized Optional<RunRecord> run(String id) {
        return Optional.ofNullable(runs.get(id));
    }

    @Override
    public synchronized List<RunRecord> runs(Optional<String> flow, Optional<RunStatus> status, int limit) {
        return runs.values().stream()
                .filter(r -> flow.map(r.flow()::equals).orElse(true))
                .filter(r -> status.map(s -> r.status() == s).orElse(true))
                .sorted(OLDEST_FIRST.reversed())
                .limit(Math.max(0, limit))
                .toList();
    }

    @Override
    public synchronized List<RunRecord> running() {
        return runs.values().stream().filter(r -> r.status() == RunStatus.RUNNING).sorted(OLDEST_FIRST).toList();
    }

    @Override
    public synchronized int countRunning() {
        return (int) runs.values().stream().filter(r -> r.status() == RunStatus.RUNNING).count();
    }

    @Override
    public synchronized boolean finish(String id, RunStatus status, Optional<String> output, Optional<String> error,
            Instant at) {
        if (!status.finished()) {
            throw new IllegalArgumentException("a run cannot finish as " + status);
        }
        RunRecord run = runs.get(id);
        if (run == null || run.status() != RunStatus.RUNNING) {
            return false;
        }
        runs.put(id, new RunRecord(run.id(), run.flow(), run.revision(), status, run.input(), output, error,
                run.redrives(), run.startedAt(), Optional.of(at), run.startedBy()));
        return true;
    }

    @Override
    public synchronized boolean redrive(String id, Instant at) {
        RunRecord run = runs.get(id);
        if (run == null || (run.status() != RunStatus.FAILED && run.status() != RunStatus.TIMED_OUT)) {
            return false;
        }
        runs.put(id, new RunRecord(run.id(), run.flow(), run.revision(), RunStatus.RUNNING, run.input(),
                Optional.empty(), Optional.empty(), run.redrives() + 1, run.startedAt(), Optional.empty(),
                run.startedBy()));
        return true;
    }

    @Override
    public synchronized void record(List<StepRecord> records, boolean synced) {
        for (StepRecord step : records) {
            steps.computeIfAbsent(step.run(), r -> new LinkedHashMap<>()).put(step.path(), step);
        }
    }

    @Override
    public synchronized List<StepRecord> steps(String run) {
        return steps.getOrDefault(run, Map.of()).values().stream().sorted(STEP_ORDER).toList();
    }

    @Override
    public synchronized int purge(Instant cutoff, int limit) {
        List<RunRecord> done = runs.values().stream()
                .filter(r -> r.status().finished() && r.endedAt().isPresent() && r.endedAt().get().isBefore(cutoff))
                .sorted(Comparator.comparing((RunRecord r) -> r.endedAt().get()).thenComparing(RunRecord::id))
                .limit(Math.max(0, limit))
                .toList();
        for (RunRecord run : done) {
            runs.remove(run.id());
            steps.remove(run.id());
        }
        Set<String> pinned = new HashSet<>();
        runs.values().forEach(r -> pinned.add(r.flow() + "\0" + r.revision()));
        for (var flow : new ArrayList<>(revisions.entrySet())) {
            flow.getValue().values().removeIf(s -> s.deleted() && !pinned.contains(flow.getKey() + "\0" + s.revision().revision()));
            if (flow.getValue().isEmpty()) {
                revisions.remove(flow.getKey());
            }
        }
        return done.size();
    }
}
