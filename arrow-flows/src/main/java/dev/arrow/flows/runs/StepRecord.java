package dev.arrow.flows.runs;

import java.time.Instant;
import java.util.Optional;

/**
 * One step of a run: a task at one place of the run. {@code path} is unique within the run: the
 * task's JSON pointer, with each loop iteration, branch and retry attempt made part of it
 * ({@code /do/1/each/for/3/do/0/charge}, {@code /do/2/pay/try@2/do/0/call}), so the same task run
 * twice has two records.
 *
 * @param kind     the task's kind ({@code call}, {@code fork}, ...)
 * @param attempt  1, then one more each time a call cut off by a crash is made again
 * @param input    the step's input, JSON text
 * @param output   its output once it succeeded, JSON text
 * @param error    why it failed, the spec's error object as JSON text
 * @param dueAt    a timer's end: when a {@code wait} is over, or when a {@code listen} or call times out
 * @param redrive  the run's redrive count when the step was recorded
 */
public record StepRecord(String run, String path, String kind, int attempt, StepStatus status, String input,
        Optional<String> output, Optional<String> error, Optional<Instant> dueAt, Instant startedAt,
        Optional<Instant> endedAt, int redrive) {
}
