package dev.arrow.services.queues;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.ArrowName;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A queue's options, fixed when it is made (as an SQS queue's attributes).
 *
 * @param visibilityTimeout how long a received message stays invisible unless the receive says: 0 s to 12 h
 * @param retention         how long a message is kept from its send: 60 s to 14 days
 * @param maxMessageBytes   the largest body: 1 byte to 256 KiB
 * @param delay             how long a sent message stays invisible unless the send says: 0 to 15 min
 * @param maxReceiveCount   receives before a message goes to {@code deadLetterQueue} instead: 1 to 1000, or 0
 *                          with no dead-letter queue
 * @param deadLetterQueue   where over-received messages go, made with the defaults when absent
 * @param maxMessages       the most messages it may hold (in flight and delayed ones too)
 */
public record QueueOptions(Duration visibilityTimeout, Duration retention, int maxMessageBytes, Duration delay,
        int maxReceiveCount, Optional<String> deadLetterQueue, long maxMessages) {

    public static final Duration MAX_VISIBILITY = Duration.ofHours(12);
    public static final Duration MIN_RETENTION = Duration.ofSeconds(60);
    public static final Duration MAX_RETENTION = Duration.ofDays(14);
    public static final int MAX_MESSAGE_BYTES = 256 * 1024;
    public static final Duration MAX_DELAY = Duration.ofMinutes(15);
    public static final int MAX_RECEIVE_COUNT = 1000;
    public static final long MAX_MESSAGES = 10_000_000L;
    /** What a queue made by its first send gets: 30 s visibility, 4 days' retention, 256 KiB, no delay, no DLQ, 100,000 messages. */
    public static final QueueOptions DEFAULT = new QueueOptions(Duration.ofSeconds(30), Duration.ofDays(4),
            MAX_MESSAGE_BYTES, Duration.ZERO, 0, Optional.empty(), 100_000);

    public QueueOptions {
        Objects.requireNonNull(visibilityTimeout, "visibilityTimeout");
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(deadLetterQueue, "deadLetterQueue");
        requireVisibility(visibilityTimeout, "visibilityTimeout");
        if (retention.compareTo(MIN_RETENTION) < 0 || retention.compareTo(MAX_RETENTION) > 0) {
            throw new InvalidInputException("retention", "retention must be between 60s and 14 days, not "
                    + QueueService.describe(retention));
        }
        if (maxMessageBytes < 1 || maxMessageBytes > MAX_MESSAGE_BYTES) {
            throw new InvalidInputException("maxMessageBytes", "maxMessageBytes must be between 1 and 256 KiB ("
                    + MAX_MESSAGE_BYTES + "), not " + maxMessageBytes);
        }
        requireDelay(delay, "delay");
        if (maxReceiveCount < 0 || maxReceiveCount > MAX_RECEIVE_COUNT) {
            throw new InvalidInputException("maxReceiveCount", "maxReceiveCount must be between 1 and "
                    + MAX_RECEIVE_COUNT + ", not " + maxReceiveCount);
        }
        if ((maxReceiveCount > 0) != deadLetterQueue.isPresent()) {
            throw new InvalidInputException(deadLetterQueue.isPresent() ? "maxReceiveCount" : "deadLetterQueue",
                    "a dead-letter queue and maxReceiveCount go together: give both or neither");
        }
        deadLetterQueue.ifPresent(name -> {
            if (!ArrowName.isValid(name)) {
                throw new InvalidInputException("deadLetterQueue", "'" + QueueService.shorten(name) + "' is not a valid"
                        + " queue name: use 1 to 63 lowercase letters, digits and '-', starting and ending with a"
                        + " letter or digit");
            }
        });
        if (maxMessages < 1 || maxMessages > MAX_MESSAGES) {
            throw new InvalidInputException("maxMessages", "maxMessages must be between 1 and " + MAX_MESSAGES
                    + ", not " + maxMessages);
        }
    }

    /** These options with a dead-letter queue after {@code maxReceiveCount} receives. */
    public QueueOptions withDeadLetterQueue(String queue, int maxReceiveCount) {
        return new QueueOptions(visibilityTimeout, retention, maxMessageBytes, delay, maxReceiveCount,
                Optional.of(queue), maxMessages);
    }

    public QueueOptions withVisibilityTimeout(Duration timeout) {
        return new QueueOptions(timeout, retention, maxMessageBytes, delay, maxReceiveCount, deadLetterQueue,
                maxMessages);
    }

    public QueueOptions withRetention(Duration kept) {
        return new QueueOptions(visibilityTimeout, kept, maxMessageBytes, delay, maxReceiveCount, deadLetterQueue,
                maxMessages);
    }

    public QueueOptions withDelay(Duration sendDelay) {
        return new QueueOptions(visibilityTimeout, retention, maxMessageBytes, sendDelay, maxReceiveCount,
                deadLetterQueue, maxMessages);
    }

    public QueueOptions withMaxMessages(long max) {
        return new QueueOptions(visibilityTimeout, retention, maxMessageBytes, delay, maxReceiveCount,
                deadLetterQueue, max);
    }

    public QueueOptions withMaxMessageBytes(int max) {
        return new QueueOptions(visibilityTimeout, retention, max, delay, maxReceiveCount, deadLetterQueue,
                maxMessages);
    }

    static Duration requireVisibility(Duration visibility, String field) {
        if (visibility.isNegative() || visibility.compareTo(MAX_VISIBILITY) > 0) {
            throw new InvalidInputException(field, field + " must be between 0s and 12h, not "
                    + QueueService.describe(visibility));
        }
        return visibility;
    }

    static Duration requireDelay(Duration delay, String field) {
        if (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
            throw new InvalidInputException(field, field + " must be between 0s and 15 min, not "
                    + QueueService.describe(delay));
        }
        return delay;
    }
}
