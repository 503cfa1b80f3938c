package dev.arrow.runtime.instances;

/**
 * How often a starting instance's port is tried: a pause of 1% of the time the start has taken so
 * far, between 50 µs and 20 ms. Readiness is then noticed within about 1% of the app's own start
 * time (0.5 ms for a 50 ms python server), for a few hundred connect attempts per start.
 */
public final class ReadinessPolling {

    static final long MIN_PAUSE_NANOS = 50_000;
    static final long MAX_PAUSE_NANOS = 20_000_000;

    private ReadinessPolling() {
    }

    /** The pause before the next try, {@code elapsedNanos} after the start began. */
    public static long pauseNanos(long elapsedNanos) {
        return Math.clamp(elapsedNanos / 100, MIN_PAUSE_NANOS, MAX_PAUSE_NANOS);
    }
}
