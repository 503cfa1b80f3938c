package dev.arrow.platform.invocations;

import dev.arrow.platform.IdempotencyKey;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where invocation records, async inputs and outputs, and logs are kept. Every write is committed
 * and visible when the method returns. {@link #accept} and {@link #start} are also durable: an
 * async invocation acknowledged to a client is never lost. A {@link #finish}ed record survives the
 * node's process dying, but an OS crash or a power cut may lose the last ones (an async
 * invocation then runs again, as if it had been cut short).
 *
 * <p>Idempotency keys of invocations are scoped to the invocation's arrow: the same key on two
 * arrows is two keys. A key's use names the invocation it made ({@link IdempotencyKey.Use#result()}).
 */
public interface InvocationStore {

    /** Persists a just-accepted (QUEUED) async invocation with its input. */
    void accept(InvocationRecord queued, byte[] input);

    /**
     * As {@link #accept}, under an idempotency key, in one transaction with it: the key is stored
     * with the invocation, so that a stored async invocation always has its key and the key its
     * invocation, and two requests with one key never both get theirs accepted. When the key is
     * held already, nothing is written and its use is returned; the use {@code replacing} names
     * (one the caller found expired, or whose invocation was cut short before it was recorded)
     * does not hold it: it is replaced, if it still holds the key.
     *
     * @return empty when the invocation was accepted, else the use that holds the key
     */
    Optional<IdempotencyKey.Use<String>> accept(InvocationRecord queued, byte[] input, IdempotencyKey key,
            Optional<IdempotencyKey.Use<String>> replacing);

    /**
     * Takes an idempotency key, scoped to {@code arrow}, for the sync invocation {@code invocation}
     * before it runs (its record is written when it finishes, by {@link #finish}); on the same
     * terms as {@link #accept(InvocationRecord, byte[], IdempotencyKey, Optional)}. Survives the
     * node's process dying as {@link #finish} does. A use whose invocation has no record was either
     * still running or cut short (the node stopped, or refused it before it ran): only the
     * caller can tell which.
     *
     * @return empty when the key was taken, else the use that holds it
     */
    Optional<IdempotencyKey.Use<String>> claim(String arrow, IdempotencyKey key, String invocation, Instant at,
            Optional<IdempotencyKey.Use<String>> replacing);

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

    /** Deletes the invocations' idempotency keys first used before {@code cutoff}; returns how many. */
    int deleteKeysBefore(Instant cutoff);
}
