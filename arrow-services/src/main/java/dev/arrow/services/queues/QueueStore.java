package dev.arrow.services.queues;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where queues are kept: the port an implementation (the node's SQLite database, later a NATS
 * JetStream work-queue stream with AckWait and MaxDeliver) fills. Each method is atomic, and a
 * method that changes anything is durable when it returns.
 *
 * <p>A message is visible from its {@code visibleAt} on (its send plus its delay; a receive plus
 * the visibility timeout), until its retention ends ({@code sentAt} plus the retention of the queue
 * it is in), from when it is absent everywhere, whether or not it has been removed yet. Receives
 * take visible messages in order of {@code visibleAt}, then of sending.
 *
 * <p>Time: the caller passes {@code now}; the implementation never reads a clock. Names, sizes and
 * durations come checked ({@link QueueService}); caps and receipt handles are checked here, in the
 * write's transaction.
 */
public interface QueueStore {

    /** What a create did: made the queue, or found one of that name (with its own options). */
    record Created(QueueInfo queue, boolean created) {
    }

    /** What a send did. */
    sealed interface SendResult {
        /** Stored as {@code id}; {@code queueCreated} when the send made the queue. */
        record Sent(String id, Instant sentAt, Instant visibleAt, boolean queueCreated) implements SendResult {
        }

        /** The body is larger than the queue's {@code maxMessageBytes}; nothing changed. */
        record TooLarge(QueueInfo queue) implements SendResult {
        }

        /** The queue holds its {@code maxMessages}; nothing changed. */
        record QueueFull(QueueInfo queue) implements SendResult {
        }
    }

    /** What a delete or a change of visibility by receipt handle did. */
    sealed interface HandleResult {
        /** Done. */
        record Done() implements HandleResult {
        }

        record NoQueue() implements HandleResult {
        }

        /** No such message (any more): deleted, or past its retention. Nothing changed. */
        record Gone() implements HandleResult {
        }

        /** The message was received again since this handle's receive, or moved; nothing changed. */
        record Stale() implements HandleResult {
        }

        /** (Change of visibility) the message is visible again, its receive over; nothing changed. */
        record NotInFlight() implements HandleResult {
        }
    }

    /** The queue, made with {@code options} if there is none of that name. */
    Created create(String queue, QueueOptions options, Instant now);

    /** A queue with its figures; empty when there is none. */
    Optional<QueueInfo> queue(String queue, Instant now);

    /** All queues, by name. */
    List<QueueInfo> queues(Instant now);

    /** Deletes a queue with all its messages; false when there was none. */
    boolean deleteQueue(String queue);

    /**
     * Stores a message, making the queue with {@code ifNew} when there is none (only if the send
     * goes through).
     *
     * @param delay how long it stays invisible, or empty for the queue's delay
     */
    SendResult send(String queue, byte[] body, Optional<Duration> delay, QueueOptions ifNew, Instant now);

    /**
     * Takes up to {@code max} visible messages: each gets its receive count raised, its first receive
     * time if it had none, a new receipt handle (its old one stale), and is invisible until {@code now}
     * plus {@code visibility} (empty: the queue's visibility timeout). A message received more than
     * the queue's {@code maxReceiveCount} times goes to its dead-letter queue (made with the defaults
     * if absent) instead, in the same transaction. Removes the queue's messages past their retention.
     *
     * @return the messages, none when none is visible; empty when there is no such queue
     */
    Optional<List<Message>> receive(String queue, int max, Optional<Duration> visibility, Instant now);

    /** Deletes the message of {@code handle} if the handle is its latest receive's. */
    HandleResult delete(String queue, ReceiptHandle handle, Instant now);

    /** Makes the in-flight message of {@code handle} visible at {@code now} plus {@code visibility}. */
    HandleResult changeVisibility(String queue, ReceiptHandle handle, Duration visibility, Instant now);

    /** Deletes every message of the queue; how many; empty when there is no such queue. */
    OptionalLong purge(String queue, Instant now);

    /**
     * Moves every message of a dead-letter queue back to the queue it came from (when that still
     * exists), visible now, its receive count and first receive reset and its handles stale.
     *
     * @return how many moved; empty when there is no such queue
     */
    OptionalLong redrive(String deadLetterQueue, Instant now);

    /**
     * The earliest time after {@code now} at which a message of the queue becomes visible (a delay
     * or a visibility timeout ending); empty when none will (or no such queue). Lets a long poll
     * sleep until then.
     */
    Optional<Instant> nextVisibleAt(String queue, Instant now);
}
