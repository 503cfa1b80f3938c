package dev.arrow.services.queues;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A received message. The body array is the message's own: not copied on the way out.
 *
 * @param receiveCount    how many times it has been received, this receive included (ApproximateReceiveCount)
 * @param sentAt          when it was sent (SentTimestamp), kept when it moves to a dead-letter queue
 * @param firstReceivedAt its first receive (ApproximateFirstReceiveTimestamp)
 * @param receiptHandle   what deletes it or changes its visibility, valid until it is received again
 * @param invisibleUntil  when it becomes visible again unless deleted
 * @param deadLetterSource the queue it came from, when it was moved to this (dead-letter) queue
 */
public record Message(String id, byte[] body, int receiveCount, Instant sentAt, Instant firstReceivedAt,
        String receiptHandle, Instant invisibleUntil, Optional<String> deadLetterSource) {

    @Override
    public boolean equals(Object other) {
        return other instanceof Message m && id.equals(m.id) && Arrays.equals(body, m.body)
                && receiveCount == m.receiveCount && sentAt.equals(m.sentAt) && firstReceivedAt.equals(m.firstReceivedAt)
                && receiptHandle.equals(m.receiptHandle) && invisibleUntil.equals(m.invisibleUntil)
                && deadLetterSource.equals(m.deadLetterSource);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, Arrays.hashCode(body), receiveCount, sentAt, receiptHandle);
    }

    @Override
    public String toString() {
        return "Message[id=" + id + ", body=" + body.length + " bytes, receiveCount=" + receiveCount + ", sentAt="
                + sentAt + ", firstReceivedAt=" + firstReceivedAt + ", invisibleUntil=" + invisibleUntil
                + ", deadLetterSource=" + deadLetterSource + "]";
    }
}
