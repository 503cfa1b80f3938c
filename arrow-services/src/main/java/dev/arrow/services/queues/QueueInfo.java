package dev.arrow.services.queues;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A queue as it is now; messages past their retention are not counted.
 *
 * @param visible   messages a receive may take now (SQS's ApproximateNumberOfMessages): the depth
 * @param inFlight  received messages within their visibility timeout (ApproximateNumberOfMessagesNotVisible)
 * @param delayed   sent messages within their delay (ApproximateNumberOfMessagesDelayed)
 * @param oldestAge how long ago the oldest message was sent (ApproximateAgeOfOldestMessage); empty when none
 */
public record QueueInfo(String name, QueueOptions options, long visible, long inFlight, long delayed,
        Optional<Duration> oldestAge, Instant createdAt) {

    /** Every message it holds. */
    public long messages() {
        return visible + inFlight + delayed;
    }
}
