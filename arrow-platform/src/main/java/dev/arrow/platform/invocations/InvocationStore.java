package dev.arrow.platform.invocations;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where invocation records, async inputs and outputs, and logs are kept. Every write is committed
 * and visible when the method returns. {@link #accept} and {@link #start} are also durable: an
 * async invocation acknowledged to a client is never lost. A {@link #finish}ed record survives the
 * node's process dying, but an OS crash or a power cut may lose the last ones (an async
 * invocation then runs again, as if it had been cut short).
 */
public interface InvocationStore {

    /** Persists a just-accepted (QUEUED) async invocation with its input. */
    void accept(InvocationRecord queued, byte[] input);

    /** Marks an accepted invocation as running (status, startedAt, attempts from {@code running}). */
    void start(InvocationRecord running);

    /**
     * Stores a finished invocation with its stdout and stored log; inserts it when it was never
     * accepted (sync invocations are written once, at the end). The async input is dropped.
     */
    void finish(InvocationRecord finished, byte[] output, String log);

    /**
     * As {@link #finish}, for a record nobody waits for (a gateway request's, written after its
     * response): it may be stored a few milliseconds later, together with others, and a crash may
     * lose those milliseconds. Stores that have nothing to gain store it at once.
     */
    default void finishSoon(InvocationRecord finished, byte[] output, String log) {
        finish(finished, output, log);
    }

    Optional<InvocationRecord> find(String id);

    /** The stdout of a finished invocation. */
    Optional<byte[]> output(String id);

    /** The stored log (stderr) of a finished invocation. */
    Optional<String> log(String id);

    List<InvocationRecord> list(InvocationQuery query);

    /** Async invocations accepted but not finished (QUEUED or RUNNING), oldest first. */
    List<InvocationRecord> unfinished();

    /**
     * The input of an accepted, unfinished async invocation. Read when the invocation gets to run,
     * so that a long queue costs disk, not memory.
     */
    Optional<byte[]> input(String id);

    /** How many async invocations are accepted but not finished. */
    int countUnfinished();

    /** Deletes finished records accepted before {@code cutoff}; returns how many. Retention, not correctness. */
    int deleteFinishedBefore(Instant cutoff);
}
