package dev.arrow.sandbox;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Resource limits of one sandbox. An empty optional means "no limit of that kind"; open files and
 * the tmpfs size always have one, because unbounded values there only ever hurt the host.
 *
 * @param memoryBytes memory limit, swap off; exceeding it ends the sandbox as out-of-memory
 * @param cpuMillis   CPU quota in thousandths of a core (1000 = one full core)
 * @param pids        how many processes and threads may exist at once
 * @param openFiles   RLIMIT_NOFILE of the program
 * @param tmpfsBytes  size of the sandbox's /tmp and /dev/shm
 * @param wallTime    wall-clock limit; the whole process tree is killed when it passes
 */
public record Limits(
        OptionalLong memoryBytes,
        OptionalInt cpuMillis,
        OptionalInt pids,
        int openFiles,
        long tmpfsBytes,
        Optional<Duration> wallTime) {

    /** No memory, CPU, pids or time limit; 1024 open files; 64 MiB of tmpfs. */
    public static final Limits DEFAULT = new Limits(
            OptionalLong.empty(), OptionalInt.empty(), OptionalInt.empty(), 1024, 64L << 20, Optional.empty());

    public Limits {
        Objects.requireNonNull(memoryBytes, "memoryBytes");
        Objects.requireNonNull(cpuMillis, "cpuMillis");
        Objects.requireNonNull(pids, "pids");
        Objects.requireNonNull(wallTime, "wallTime");
        memoryBytes.ifPresent(bytes -> requirePositive(bytes, "memory limit"));
        cpuMillis.ifPresent(millis -> requirePositive(millis, "CPU quota"));
        pids.ifPresent(count -> requirePositive(count, "pids limit"));
        requirePositive(openFiles, "open files limit");
        requirePositive(tmpfsBytes, "tmpfs size");
        wallTime.ifPresent(time -> {
            if (time.isNegative() || time.isZero()) {
                throw new IllegalArgumentException("wall-time limit must be positive: " + time);
            }
        });
    }

    public Limits withMemoryBytes(long bytes) {
        return new Limits(OptionalLong.of(bytes), cpuMillis, pids, openFiles, tmpfsBytes, wallTime);
    }

    public Limits withCpuMillis(int millis) {
        return new Limits(memoryBytes, OptionalInt.of(millis), pids, openFiles, tmpfsBytes, wallTime);
    }

    public Limits withPids(int count) {
        return new Limits(memoryBytes, cpuMillis, OptionalInt.of(count), openFiles, tmpfsBytes, wallTime);
    }

    public Limits withOpenFiles(int count) {
        return new Limits(memoryBytes, cpuMillis, pids, count, tmpfsBytes, wallTime);
    }

    public Limits withTmpfsBytes(long bytes) {
        return new Limits(memoryBytes, cpuMillis, pids, openFiles, bytes, wallTime);
    }

    public Limits withWallTime(Duration time) {
        return new Limits(memoryBytes, cpuMillis, pids, openFiles, tmpfsBytes, Optional.of(time));
    }

    private static void requirePositive(long value, String what) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive: " + value);
        }
    }
}
