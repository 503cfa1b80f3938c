package dev.arrow.platform.invocations;

import dev.arrow.runtime.OutputPolicy;
import java.time.Duration;

/**
 * How much work a node takes on at once, and how much it lets wait.
 *
 * @param maxConcurrent      sandboxes running at once on the node
 * @param maxAsyncConcurrent of those, how many async invocations may use, so sync traffic always has room
 * @param maxWaiting         sync invocations that may wait for capacity; one more gets 429
 * @param maxWait            how long a sync invocation waits for capacity before it gets 429
 * @param maxPending         async invocations accepted but not finished; one more gets 429
 * @param maxInputBytes      largest invocation body
 * @param output             how much output and log is kept
 * @param shutdownGrace      how long running invocations may finish when the node stops
 */
public record DispatchSettings(
        int maxConcurrent,
        int maxAsyncConcurrent,
        int maxWaiting,
        Duration maxWait,
        int maxPending,
        int maxInputBytes,
        OutputPolicy output,
        Duration shutdownGrace) {

    /**
     * 32 sandboxes (exec sandboxes mostly wait on their program, so more than the cores), half of
     * them for async work, 256 sync waiters for up to 10 s, 10000 pending async invocations, 6 MiB bodies.
     */
    public static final DispatchSettings DEFAULT = new DispatchSettings(32, 16, 256, Duration.ofSeconds(10), 10_000,
            6 << 20, OutputPolicy.DEFAULT, Duration.ofSeconds(10));

    public DispatchSettings {
        if (maxConcurrent < 1 || maxAsyncConcurrent < 1 || maxAsyncConcurrent > maxConcurrent) {
            throw new IllegalArgumentException("need 1 <= maxAsyncConcurrent <= maxConcurrent");
        }
        if (maxWaiting < 0 || maxPending < 1 || maxInputBytes < 0) {
            throw new IllegalArgumentException("queue bounds must not be negative");
        }
    }

    public DispatchSettings withConcurrency(int total, int async) {
        return new DispatchSettings(total, async, maxWaiting, maxWait, maxPending, maxInputBytes, output, shutdownGrace);
    }

    public DispatchSettings withQueue(int waiting, Duration wait, int pending) {
        return new DispatchSettings(maxConcurrent, maxAsyncConcurrent, waiting, wait, pending, maxInputBytes, output,
                shutdownGrace);
    }
}
