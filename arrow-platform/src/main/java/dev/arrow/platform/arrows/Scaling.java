package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import java.time.Duration;

/**
 * How many of an arrow may run at once. In exec mode every invocation is its own instance, so
 * {@code maxInstances} caps the arrow's concurrent invocations; {@code concurrency} (requests per
 * instance), {@code minInstances} and {@code keepAlive} matter for http mode.
 *
 * @param concurrency  requests one instance serves at once
 * @param minInstances instances kept running even with no traffic
 * @param maxInstances instances at most
 * @param keepAlive    how long an idle instance (beyond the minimum) is kept before it is stopped
 */
public record Scaling(int concurrency, int minInstances, int maxInstances, Duration keepAlive) {

    public static final int MAX_CONCURRENCY = 1000;
    public static final int MAX_INSTANCES = 1000;
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofMinutes(5);
    public static final Duration MAX_KEEP_ALIVE = Duration.ofHours(24);

    /** One request per instance, none kept warm, at most 10 at once, idle ones kept 5 minutes. */
    public static final Scaling DEFAULT = new Scaling(1, 0, 10, DEFAULT_KEEP_ALIVE);

    public Scaling {
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new InvalidInputException("scaling.concurrency", "concurrency must be between 1 and " + MAX_CONCURRENCY);
        }
        if (maxInstances < 1 || maxInstances > MAX_INSTANCES) {
            throw new InvalidInputException("scaling.maxInstances", "maxInstances must be between 1 and " + MAX_INSTANCES);
        }
        if (minInstances < 0 || minInstances > maxInstances) {
            throw new InvalidInputException("scaling.minInstances", "minInstances must be between 0 and maxInstances");
        }
        if (keepAlive == null || keepAlive.isNegative() || keepAlive.compareTo(MAX_KEEP_ALIVE) > 0) {
            throw new InvalidInputException("scaling.keepAlive", "keepAlive must be between 0s and 24h");
        }
    }

    public Scaling(int concurrency, int minInstances, int maxInstances) {
        this(concurrency, minInstances, maxInstances, DEFAULT_KEEP_ALIVE);
    }
}
