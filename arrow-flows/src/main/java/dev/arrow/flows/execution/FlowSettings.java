package dev.arrow.flows.execution;

import java.time.Duration;

/**
 * The executor's limits, each enforced with a clear error.
 *
 * @param maxDefinitionBytes a definition's source, at most (default 256 KiB)
 * @param maxStepsPerRun     steps one run may record, retries and iterations included (default 10,000):
 *                           the run fails with a limit error at the next one
 * @param maxPayloadBytes    a run's input and each step's input and output, as JSON (default 256 KiB,
 *                           Step Functions' figure): a larger one fails the step
 * @param maxHistoryBytes    the inputs and outputs one run may store in all (default 64 MiB)
 * @param maxRunning         runs RUNNING at once on the node (default 10,000); a start beyond is refused
 * @param retention          how long a finished run is kept before it is purged (default 30 days)
 * @param busyRetry          how long a call waits before it tries an arrow at its capacity again (default 50 ms)
 */
public record FlowSettings(int maxDefinitionBytes, int maxStepsPerRun, int maxPayloadBytes, long maxHistoryBytes,
        int maxRunning, Duration retention, Duration busyRetry) {

    public static FlowSettings defaults() {
        return new FlowSettings(256 * 1024, 10_000, 256 * 1024, 64L * 1024 * 1024, 10_000, Duration.ofDays(30),
                Duration.ofMillis(50));
    }

    public FlowSettings withRetention(Duration keep) {
        return new FlowSettings(maxDefinitionBytes, maxStepsPerRun, maxPayloadBytes, maxHistoryBytes, maxRunning, keep,
                busyRetry);
    }
}
