package dev.arrow.flows.execution;

import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.runs.FlowStore;
import dev.arrow.flows.runs.StepRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One run's step records: those stored before (a resumed run's), and the ones it writes. Records
 * of steps whose effect must not be lost (a call's end, a timer's start) are written synced, and
 * take with them the records queued since (the pure steps': a set, a switch, a sequence's start),
 * which a crash could only make the resumed run evaluate again. Enforces the run's limits on steps
 * and history. Shared by a run's branches: synchronized.
 */
final class Journal {

    private final FlowStore store;
    private final FlowSettings settings;
    private final int redrive;
    private final Map<String, StepRecord> records = new HashMap<>();
    private final List<StepRecord> queued = new ArrayList<>();
    private int steps;
    private long historyBytes;

    Journal(FlowStore store, FlowSettings settings, int redrive, List<StepRecord> stored) {
        this.store = store;
        this.settings = settings;
        this.redrive = redrive;
        for (StepRecord record : stored) {
            records.put(record.path(), record);
            steps++;
            historyBytes += size(record);
        }
    }

    int redrive() {
        return redrive;
    }

    synchronized Optional<StepRecord> get(String path) {
        return Optional.ofNullable(records.get(path));
    }

    /** Queues a record, written with the next synced one (or at the run's end). */
    synchronized void queue(StepRecord record) {
        account(record);
        queued.add(record);
    }

    /** Writes a record and everything queued before it, in one transaction. */
    void write(StepRecord record, boolean synced) {
        List<StepRecord> batch;
        synchronized (this) {
            account(record);
            queued.add(record);
            batch = List.copyOf(queued);
            queued.clear();
        }
        store.record(batch, synced);
    }

    /** Writes whatever is queued (unsynced: it is only what evaluation would give again). */
    void flush() {
        List<StepRecord> batch;
        synchronized (this) {
            if (queued.isEmpty()) {
                return;
            }
            batch = List.copyOf(queued);
            queued.clear();
        }
        store.record(batch, false);
    }

    private void account(StepRecord record) {
        StepRecord before = records.put(record.path(), record);
        if (before == null) {
            steps++;
            if (steps > settings.maxStepsPerRun()) {
                throw new RunEnded(Optional.of(new FlowError(FlowError.RUNTIME, 400, "Step limit exceeded",
                        "a run may take at most " + settings.maxStepsPerRun() + " steps (retries and iterations"
                                + " count); this one reached " + record.path(), record.path())));
            }
        } else {
            historyBytes -= size(before);
        }
        historyBytes += size(record);
        if (historyBytes > settings.maxHistoryBytes()) {
            throw new RunEnded(Optional.of(new FlowError(FlowError.RUNTIME, 400, "History limit exceeded",
                    "a run may store at most " + settings.maxHistoryBytes() + " bytes of step inputs and outputs;"
                            + " this one passed it at " + record.path(), record.path())));
        }
    }

    private static long size(StepRecord record) {
        return record.input().length() + record.output().map(String::length).orElse(0)
                + record.error().map(String::length).orElse(0);
    }
}
