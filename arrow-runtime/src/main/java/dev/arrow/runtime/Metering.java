package dev.arrow.runtime;

import java.time.Duration;

/** How invocations are billed: memory limit x duration, the duration rounded up to a whole millisecond. */
public final class Metering {

    private static final double BYTES_PER_GIB = 1024.0 * 1024 * 1024;

    private Metering() {
    }

    /** The duration rounded up to the next millisecond; at least 1 ms. */
    public static Duration billed(Duration duration) {
        long nanos = Math.max(1, duration.toNanos());
        long millis = (nanos + 999_999) / 1_000_000;
        return Duration.ofMillis(millis);
    }

    /** GiB of memory limit times billed seconds. */
    public static double gbSeconds(long memoryLimitBytes, Duration billed) {
        return memoryLimitBytes / BYTES_PER_GIB * (billed.toMillis() / 1000.0);
    }
}
