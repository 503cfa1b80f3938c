package dev.arrow.platform.invocations;

import dev.arrow.platform.IdempotencyKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An {@link InvocationStore} in memory with the SQLite store's rules: accept takes a queued
 * record, start only an unfinished one, finish inserts or replaces and drops the input. It also
 * counts its writes, so a test can tell what was stored when.
 */
public final class InMemoryInvocationStore implements InvocationStore {

    private final TreeMap<String, InvocationRecord> records = new TreeMap<>();
    private final Map<String, byte[]> inputs = new HashMap<>();
    private final Map<String, byte[]> outputs = new HashMap<>();
    private final Map<String, String> logs = new HashMap<>();
    private final List<String> writes = new ArrayList<>();
    private final Map<String, IdempotencyKey.Use<String>> keys = new HashMap<>(); // by "arrow key"
    private RuntimeException failNextAccept;

    @Override
    public synchronized void accept(InvocationRecord queued, byte[] input) {
        if (failNextAccept != null) {
            RuntimeException failure = failNextAccept;
            failNextAccept = null;
            throw failure;
        }
        require(queued.status() == InvocationStatus.QUEUED, "accept takes a queued invocation", queued);
        if (records.containsKey(queued.id())) {
            throw new IllegalStateException("invocation " + queued.id() + " exists already");
        }
        records.put(queued.id(), queued);
        inputs.put(queued.id(), input.clone());
        writes.add("accept " + queued.id());
    }

    @Override
    public synchronized Optional<IdempotencyKey.Use<String>> accept(InvocationRecord queued, byte[] input,
            IdempotencyKey key, Optional<IdempotencyKey.Use<String>> replacing) {
        Optional<IdempotencyKey.Use<String>> held = holder(queued.arrow(), key, replacing);
        if (held.isEmpty()) {
            accept(queued, input);
            keys.put(queued.arrow() + " " + key.key(), new IdempotencyKey.Use<>(key.fingerprint(), queued.acceptedAt(),
                    queued.id()));
        }
        return held;
    }

    @Override
    public synchronized Optional<IdempotencyKey.Use<String>> claim(String arrow, IdempotencyKey key, String invocation,
            Instant at, Optional<IdempotencyKey.Use<String>> replacing) {
        Optional<IdempotencyKey.Use<String>> held = holder(arrow, key, replacing);
        if (held.isEmpty()) {
            keys.put(arrow + " " + key.key(), new IdempotencyKey.Use<>(key.fingerprint(), at, invocation));
            writes.add("claim " + invocation);
        }
        return held;
    }

    private Optional<IdempotencyKey.Use<String>> holder(String arrow, IdempotencyKey key,
            Optional<IdempotencyKey.Use<String>> replacing) {
        Optional<IdempotencyKey.Use<String>> held = Optional.ofNullable(keys.get(arrow + " " + key.key()));
        return held.equals(replacing) ? Optional.empty() : held;
    }

    @Override
    public synchronized int deleteKeysBefore(Instant cutoff) {
        int before = keys.size();
        keys.values().removeIf(use -> use.at().isBefore(cutoff));
        return before - keys.size();
    }

    /** The idempotency keys stored, as "ARROW KEY". */
    public synchronized java.util.Set<String> keys() {
        return java.util.Set.copyOf(keys.keySet());
    }

    @Override
    public synchronized void start(InvocationRecord running) {
        require(running.status() == InvocationStatus.RUNNING, "start takes a running invocation", running);
        writes.add("start " + running.id()); // asked for, even when refused: a second start is a second run
        InvocationRecord stored = records.get(running.id());
        if (stored == null || stored.status().finished()) {
            throw new IllegalStateException("invocation " + running.id() + " was not accepted or has already finished");
        }
        records.put(running.id(), new InvocationRecord(stored.id(), stored.arrow(), stored.revision(), stored.trigger(),
                running.status(), stored.acceptedAt(), running.startedAt(), running.attempts(), stored.execution()));
    }

    @Override
    public synchronized void finish(InvocationRecord finished, byte[] output, String log) {
        require(finished.status().finished(), "finish takes a finished invocation", finished);
        records.put(finished.id(), finished);
        inputs.remove(finished.id());
        outputs.put(finished.id(), output.clone());
        logs.put(finished.id(), log);
        writes.add("finish " + finished.id());
    }

    @Override
    public synchronized Optional<InvocationRecord> find(String id) {
        return Optional.ofNullable(records.get(id));
    }

    @Override
    public synchronized Optional<byte[]> output(String id) {
        return finished(id) ? Optional.ofNullable(outputs.get(id)).map(byte[]::clone) : Optional.empty();
    }

    @Override
    public synchronized Optional<String> log(String id) {
        return finished(id) ? Optional.ofNullable(logs.get(id)) : Optional.empty();
    }

    @Override
    public synchronized List<InvocationRecord> list(InvocationQuery query) {
        return records.descendingMap().values().stream()
                .filter(record -> query.arrow().map(record.arrow()::equals).orElse(true))
                .filter(record -> query.status().map(record.status()::equals).orElse(true))
                .filter(record -> query.before().map(before -> record.id().compareTo(before) < 0).orElse(true))
                .limit(query.limit())
                .toList();
    }

    @Override
    public synchronized List<InvocationRecord> unfinished() {
        return records.values().stream().filter(record -> !record.status().finished()).toList();
    }

    @Override
    public synchronized Optional<byte[]> input(String id) {
        return Optional.ofNullable(inputs.get(id)).map(byte[]::clone);
    }

    @Override
    public synchronized int countUnfinished() {
        return unfinished().size();
    }

    @Override
    public synchronized int deleteFinishedBefore(Instant cutoff) {
        List<String> old = records.values().stream()
                .filter(record -> record.status().finished() && record.acceptedAt().isBefore(cutoff))
                .map(InvocationRecord::id)
                .toList();
        old.forEach(id -> {
            records.remove(id);
            outputs.remove(id);
            logs.remove(id);
        });
        return old.size();
    }

    /** Every write asked for so far, in order: "accept ID", "claim ID", "start ID", "finish ID". */
    public synchronized List<String> writes() {
        return List.copyOf(writes);
    }

    /** The next {@link #accept} throws {@code failure} instead of storing, as a full disk would. */
    public synchronized void failNextAccept(RuntimeException failure) {
        failNextAccept = failure;
    }

    private boolean finished(String id) {
        InvocationRecord record = records.get(id);
        return record != null && record.status().finished();
    }

    private static void require(boolean condition, String message, InvocationRecord record) {
        if (!condition) {
            throw new IllegalArgumentException(message + ": " + record.id() + " is " + record.status());
        }
    }
}
