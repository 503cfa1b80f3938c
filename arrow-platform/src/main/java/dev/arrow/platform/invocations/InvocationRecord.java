package dev.arrow.platform.invocations;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The record every invocation leaves.
 *
 * @param id         unique and time-ordered ({@link InvocationIds})
 * @param arrow      the arrow's name
 * @param revision   the revision that served it
 * @param trigger    what made it
 * @param status     where it is
 * @param acceptedAt when the node accepted it
 * @param startedAt  when its latest attempt started, once one has
 * @param attempts   how many runs were started (above 1 when a node restart interrupted one)
 * @param execution  what the finished run did and cost; present once status is finished
 */
public record InvocationRecord(
        String id,
        String arrow,
        int revision,
        Trigger trigger,
        InvocationStatus status,
        Instant acceptedAt,
        Optional<Instant> startedAt,
        int attempts,
        Optional<Execution> execution) {

    public InvocationRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(arrow, "arrow");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(acceptedAt, "acceptedAt");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(execution, "execution");
        if (status.finished() != execution.isPresent()) {
            throw new IllegalArgumentException("a finished invocation has an execution, an unfinished one none: " + status);
        }
    }

    /** A new invocation, accepted now and not yet started. */
    public static InvocationRecord accepted(String id, String arrow, int revision, Trigger trigger, Instant now) {
        return new InvocationRecord(id, arrow, revision, trigger, InvocationStatus.QUEUED, now, Optional.empty(), 0,
                Optional.empty());
    }

    public InvocationRecord started(Instant at) {
        return new InvocationRecord(id, arrow, revision, trigger, InvocationStatus.RUNNING, acceptedAt, Optional.of(at),
                attempts + 1, Optional.empty());
    }

    public InvocationRecord finished(Execution run) {
        return new InvocationRecord(id, arrow, revision, trigger,
                run.succeeded() ? InvocationStatus.SUCCEEDED : InvocationStatus.FAILED, acceptedAt,
                Optional.of(run.startedAt()), Math.max(1, attempts), Optional.of(run));
    }
}
