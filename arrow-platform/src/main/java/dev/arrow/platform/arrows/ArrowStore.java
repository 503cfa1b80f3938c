package dev.arrow.platform.arrows;

import dev.arrow.platform.IdempotencyKey;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where arrows and revisions are kept. Implementations are durable (a node restart keeps all of
 * it) and make each method atomic; the platform code never knows which store it runs on.
 */
public interface ArrowStore {

    /**
     * Stores {@code spec} as the arrow's next revision (number = latest + 1, or 1 for a new arrow)
     * and routes the arrow's traffic to it, atomically.
     */
    Revision addRevision(ArrowSpec spec, Instant now);

    /**
     * As {@link #addRevision(ArrowSpec, Instant)}, under an idempotency key scoped to the arrow, in
     * one transaction with it: the key is stored with the number of the revision it made, and two
     * deploys with one key never both add a revision. When the key is held already, nothing is
     * written and its use is returned; the use {@code replacing} names (one the caller found
     * expired) does not hold it: it is replaced, if it still holds the key.
     *
     * @return empty when the revision was added, else the use that holds the key
     */
    Optional<IdempotencyKey.Use<Integer>> addRevision(ArrowSpec spec, Instant now, IdempotencyKey key,
            Optional<IdempotencyKey.Use<Integer>> replacing);

    Optional<ArrowSummary> arrow(String name);

    /** All arrows, by name. */
    List<ArrowSummary> arrows();

    Optional<Revision> revision(String name, int number);

    /** The arrow's revisions, newest first; empty when there is no such arrow. */
    List<Revision> revisions(String name);

    /** Routes traffic to an existing revision; false when the arrow or revision does not exist. */
    boolean route(String name, int revision, Instant now);

    /**
     * Deletes the arrow, its revisions and its deploys' idempotency keys (a new arrow of that name
     * numbers its revisions from 1 again); invocation records stay. False when there was none.
     */
    boolean delete(String name);

    /** Deletes the deploys' idempotency keys first used before {@code cutoff}; returns how many. */
    int deleteKeysBefore(Instant cutoff);
}
