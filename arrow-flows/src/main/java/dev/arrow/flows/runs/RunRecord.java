package dev.arrow.flows.runs;

import java.time.Instant;
import java.util.Optional;

/**
 * One run of a flow, pinned to the revision it started on.
 *
 * @param input     the run's input, JSON text
 * @param output    the run's output once it succeeded, JSON text
 * @param error     why it failed, the spec's error object as JSON text
 * @param redrives  how many times it was redriven; a step record of an earlier redrive that failed
 *                  is run again
 * @param startedBy what started it: {@code api}, {@code schedule}, {@code event}
 */
public record RunRecord(String id, String flow, int revision, RunStatus status, String input,
        Optional<String> output, Optional<String> error, int redrives, Instant startedAt, Optional<Instant> endedAt,
        String startedBy) {
}
