package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import java.time.Duration;

/**
 * Resources of one invocation's sandbox. Every arrow has all of them: an unlimited arrow is a
 * risk to its node, so the defaults are modest ones a user raises on purpose.
 *
 * @param memoryBytes memory limit, swap off; also what invocations are billed for
 * @param cpuMillis   CPU quota in thousandths of a core
 * @param pids        processes and threads at once
 * @param timeout     wall-time limit of one invocation
 * @param tmpfsBytes  size of /tmp
 */
public record ArrowLimits(long memoryBytes, int cpuMillis, int pids, Duration timeout, long tmpfsBytes) {

    public static final long MIN_MEMORY = 16L << 20;
    public static final long MAX_MEMORY = 16L << 30;
    public static final int MAX_CPU_MILLIS = 64_000;
    public static final int MAX_PIDS = 32_768;
    public static final Duration MAX_TIMEOUT = Duration.ofHours(1);
    public static final long MAX_TMPFS = 16L << 30;

    /** 128 MiB, one core, 128 pids, 30 s, 64 MiB of /tmp. */
    public static final ArrowLimits DEFAULT = new ArrowLimits(128L << 20, 1000, 128, Duration.ofSeconds(30), 64L << 20);

    public ArrowLimits {
        if (memoryBytes < MIN_MEMORY || memoryBytes > MAX_MEMORY) {
            throw new InvalidInputException("limits.memory", "memory must be between 16 MiB and 16 GiB");
        }
        if (cpuMillis < 10 || cpuMillis > MAX_CPU_MILLIS) {
            throw new InvalidInputException("limits.cpus", "cpus must be between 0.01 and 64");
        }
        if (pids < 1 || pids > MAX_PIDS) {
            throw new InvalidInputException("limits.pids", "pids must be between 1 and " + MAX_PIDS);
        }
        if (timeout == null || timeout.toMillis() < 1 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new InvalidInputException("limits.timeout", "timeout must be between 1ms and 1h");
        }
        if (tmpfsBytes < (1L << 20) || tmpfsBytes > MAX_TMPFS) {
            throw new InvalidInputException("limits.tmpfs", "tmpfs must be between 1 MiB and 16 GiB");
        }
    }

    public ArrowLimits withMemoryBytes(long bytes) {
        return new ArrowLimits(bytes, cpuMillis, pids, timeout, tmpfsBytes);
    }

    public ArrowLimits withCpuMillis(int millis) {
        return new ArrowLimits(memoryBytes, millis, pids, timeout, tmpfsBytes);
    }

    public ArrowLimits withPids(int count) {
        return new ArrowLimits(memoryBytes, cpuMillis, count, timeout, tmpfsBytes);
    }

    public ArrowLimits withTimeout(Duration time) {
        return new ArrowLimits(memoryBytes, cpuMillis, pids, time, tmpfsBytes);
    }

    public ArrowLimits withTmpfsBytes(long bytes) {
        return new ArrowLimits(memoryBytes, cpuMillis, pids, timeout, bytes);
    }
}
