package dev.arrow.bench;

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
        return median(Arrays.stream(sortedNanos).asDoubleStream().toArray()) / 1e6;
    }

    /** The middle value, or the mean of the two middle ones. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** The nearest-rank 99th percentile: always a value that was actually measured. */
    double p99Millis() {
        int rank = (int) Math.ceil(0.99 * sortedNanos.length);
        return sortedNanos[rank - 1] / 1e6;
    }
}
