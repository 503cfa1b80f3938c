package dev.arrow.platform.invocations;

import dev.arrow.platform.arrows.Isolation;
import dev.arrow.sandbox.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What one finished run of an invocation did and cost: the metering record.
 *
 * @param startedAt        when its sandbox was started
 * @param cold             whether it had to start an instance (always so in exec mode)
 * @param initTime         from the sandbox's start to the program's exec
 * @param duration         from the sandbox's start to its end
 * @param outcome          how the sandbox ended
 * @param error            why the platform calls it failed beyond the outcome, e.g. an oversized output
 * @param cpuUser          user CPU time of the whole sandbox
 * @param cpuSystem        system CPU time of the whole sandbox
 * @param peakMemoryBytes  highest memory use of the sandbox
 * @param memoryLimitBytes the memory the invocation was given, and billed for
 * @param billed           duration rounded up to a whole millisecond
 * @param gbSeconds        memory limit in GiB times billed seconds
 * @param outputBytes      size of stdout
 * @param logBytes         size of stderr as written, before any truncation
 * @param logTruncated     whether the stored log is cut short (it then ends with a marker saying so)
 * @param instance         http mode: the instance that served it
 * @param isolation        the sandbox tier it ran in
 * @param accelerator      the VM tier: what its VM ran on, {@code kvm} or {@code tcg} (empty in the process
 *                         tier, and when the VM tier could not be made)
 */
public record Execution(
        Instant startedAt,
        boolean cold,
        Duration initTime,
        Duration duration,
        Outcome outcome,
        Optional<RunError> error,
        Duration cpuUser,
        Duration cpuSystem,
        long peakMemoryBytes,
        long memoryLimitBytes,
        Duration billed,
        double gbSeconds,
        long outputBytes,
        long logBytes,
        boolean logTruncated,
        Optional<String> instance,
        Isolation isolation,
        Optional<String> accelerator) {

    /** A run in the process tier. */
    public Execution(Instant startedAt, boolean cold, Duration initTime, Duration duration, Outcome outcome,
            Optional<RunError> error, Duration cpuUser, Duration cpuSystem, long peakMemoryBytes, long memoryLimitBytes,
            Duration billed, double gbSeconds, long outputBytes, long logBytes, boolean logTruncated,
            Optional<String> instance) {
        this(startedAt, cold, initTime, duration, outcome, error, cpuUser, cpuSystem, peakMemoryBytes, memoryLimitBytes,
                billed, gbSeconds, outputBytes, logBytes, logTruncated, instance, Isolation.PROCESS, Optional.empty());
    }

    /** A run in a sandbox of its own (exec mode). */
    public Execution(Instant startedAt, boolean cold, Duration initTime, Duration duration, Outcome outcome,
            Optional<RunError> error, Duration cpuUser, Duration cpuSystem, long peakMemoryBytes, long memoryLimitBytes,
            Duration billed, double gbSeconds, long outputBytes, long logBytes, boolean logTruncated) {
        this(startedAt, cold, initTime, duration, outcome, error, cpuUser, cpuSystem, peakMemoryBytes, memoryLimitBytes,
                billed, gbSeconds, outputBytes, logBytes, logTruncated, Optional.empty());
    }

    public Execution {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(initTime, "initTime");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(cpuUser, "cpuUser");
        Objects.requireNonNull(cpuSystem, "cpuSystem");
        Objects.requireNonNull(billed, "billed");
        Objects.requireNonNull(isolation, "isolation");
        Objects.requireNonNull(accelerator, "accelerator");
    }

    /** This run, as one in {@code tier} on {@code accelerator}. */
    public Execution in(Isolation tier, Optional<String> accelerator) {
        return new Execution(startedAt, cold, initTime, duration, outcome, error, cpuUser, cpuSystem, peakMemoryBytes,
                memoryLimitBytes, billed, gbSeconds, outputBytes, logBytes, logTruncated, instance, tier, accelerator);
    }

    /** Exited with 0 and nothing else went wrong. */
    public boolean succeeded() {
        return outcome instanceof Outcome.Exited(int code) && code == 0 && error.isEmpty();
    }
}
