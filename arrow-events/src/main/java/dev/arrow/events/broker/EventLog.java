package dev.arrow.events.broker;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The broker's durable store. {@link #append} is one transaction, synced before it returns: an
 * event the node answered 202 for is on disk with every delivery it owes.
 */
public interface EventLog {

    /** An event to store and the deliveries it owes. */
    record Pending(EventEnvelope event, List<Target> targets) {
    }

    /** A delivery to make: the arrow, its trigger's index, and the serial key if firings may not overlap. */
    record Target(String arrow, int trigger, Optional<String> serialKey) {
    }

    /**
     * Stores the events not stored already (by source and id) with their deliveries, due at once.
     *
     * @return for each event, true when it was new, false when it was a duplicate and nothing was stored
     */
    List<Boolean> append(List<Pending> events, Instant now);

    /** Pending deliveries due at {@code now}, earliest first, at most {@code limit}. */
    List<Delivery> due(Instant now, int limit);

    /** The earliest time a pending delivery is due, if any is pending. */
    Optional<Instant> nextDue();

    /** Records how an attempt ended. */
    void settle(long delivery, Settlement settlement);

    /** Events accepted most recently first, with where each was delivered; filters may be empty. */
    List<EventRecord> recent(Optional<String> type, Optional<String> source, int limit);

    /**
     * The first event, in the order they were stored, accepted at or after {@code since} that
     * passes {@code test}; empty when there is none. (A flow's {@code listen} asks it after a restart.)
     */
    Optional<EventEnvelope> firstSince(Instant since, java.util.function.Predicate<EventEnvelope> test);

    /**
     * Makes a dead-lettered delivery of the event (by source and id) to the arrow's trigger pending
     * again, due at {@code now}, its failures counted from zero: a redrive.
     *
     * @return false when no such dead-lettered delivery is stored
     */
    boolean redeliver(String source, String id, String arrow, int trigger, Instant now);

    /** How each trigger's deliveries went, over the events stored. */
    List<TriggerStats> stats();

    /**
     * One trigger's deliveries: how many it was owed, how many are pending, the failed attempts,
     * how many went to a dead-letter queue, and when the newest event it was owed was accepted.
     */
    record TriggerStats(String arrow, int trigger, long deliveries, long pending, long failures, long deadLettered,
            Optional<Instant> last) {
    }

    /** An event with its deliveries. */
    record EventRecord(EventEnvelope event, List<DeliveryState> deliveries) {
    }
}
