package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;

/**
 * How many of an arrow may run at once. In exec mode every invocation is its own instance, so
 * {@code maxInstances} caps the arrow's concurrent invocations; {@code concurrency} (requests per
 * instance) and {@code minInstances} matter for http mode.
 */
public record Scaling(int concurrency, int minInstances, int maxInstances) {

    public static final int MAX_CONCURRENCY = 1000;
    public static final int MAX_INSTANCES = 1000;

    /** One request per instance, none kept warm, at most 10 at once. */
    public static final Scaling DEFAULT = new Scaling(1, 0, 10);

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
    }
}
