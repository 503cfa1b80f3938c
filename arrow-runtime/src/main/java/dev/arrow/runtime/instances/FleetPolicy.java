package dev.arrow.runtime.instances;

import java.time.Duration;
import java.util.Objects;

/**
 * How a fleet scales.
 *
 * @param concurrency  requests one instance serves at once
 * @param minInstances kept running with no traffic
 * @param maxInstances never more than these
 * @param keepAlive    an idle instance beyond the minimum is stopped after this long
 * @param maxWaiting   requests that may wait for a free instance; one more is refused at once
 * @param maxWait      how long a request waits for a free instance (longer while a start it asked
 *                     for is under way: up to that start's own timeout)
 */
public record FleetPolicy(int concurrency, int minInstances, int maxInstances, Duration keepAlive, int maxWaiting,
        Duration maxWait) {

    public FleetPolicy {
        if (concurrency < 1 || maxInstances < 1 || minInstances < 0 || minInstances > maxInstances || maxWaiting < 0) {
            throw new IllegalArgumentException("need concurrency >= 1, 0 <= min <= max, max >= 1, maxWaiting >= 0");
        }
        Objects.requireNonNull(keepAlive, "keepAlive");
        Objects.requireNonNull(maxWait, "maxWait");
    }
}
