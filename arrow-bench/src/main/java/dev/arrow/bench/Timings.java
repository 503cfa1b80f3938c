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

    /** The median of {@code part[i] / whole[i]}: each round's ratio, taken within the round. */
    static double medianRatio(double[] part, double[] whole) {
        double[] ratios = new double[part.length];
        for (int i = 0; i < part.length; i++) {
            ratios[i] = part[i] / whole[i];
        }
        return median(ratios);
    }

    /** ", rounds 52, 48, 55%" when there was more than one. */
    static String eachRound(double[] part, double[] whole) {
        if (part.length == 1) {
            return "";
        }
        var text = new StringBuilder(", rounds ");
        for (int i = 0; i < part.length; i++) {
            text.append(i == 0 ? "" : ", ").append(Math.round(100 * part[i] / whole[i]));
        }
        return text.append('%').toString();
    }
}
