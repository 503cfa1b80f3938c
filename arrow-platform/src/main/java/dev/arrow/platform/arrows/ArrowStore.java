package dev.arrow.platform.arrows;

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

    Optional<ArrowSummary> arrow(String name);

    /** All arrows, by name. */
    List<ArrowSummary> arrows();

    Optional<Revision> revision(String name, int number);

    /** The arrow's revisions, newest first; empty when there is no such arrow. */
    List<Revision> revisions(String name);

    /** Routes traffic to an existing revision; false when the arrow or revision does not exist. */
    boolean route(String name, int revision, Instant now);

    /** Deletes the arrow and its revisions; invocation records stay. False when there was none. */
    boolean delete(String name);
}
