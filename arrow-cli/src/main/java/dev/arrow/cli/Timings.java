package dev.arrow.cli;

import java.util.Arrays;

/** Durations of repeated runs of one thing, summarized as the design's performance budget is. */
final class Timings {

    private final long[] sortedNanos;

    Timings(long[] nanos) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("no timings");
        }
        sortedNanos = nanos.clone();
        Arrays.sort(sortedNanos);
    }

    int count() {
        return sortedNanos.length;
    }

    double medianMillis() {
        int middle = sortedNanos.length / 2;
        double median = sortedNanos.length % 2 == 1
                ? sortedNanos[middle]
                : (sortedNanos[middle - 1] + sortedNanos[middle]) / 2.0;
        return median / 1e6;
    }

    /** The nearest-rank 99th percentile: always a value that was actually measured. */
    double p99Millis() {
        int rank = (int) Math.ceil(0.99 * sortedNanos.length);
        return sortedNanos[rank - 1] / 1e6;
    }
}
