package dev.arrow.sandbox;

/**
 * What a driver's pool of prewarmed sandboxes holds and costs, e.g. for a node's metrics.
 *
 * @param target      how many prewarmed sandboxes the pool keeps
 * @param ready       how many wait ready now
 * @param processes   processes the pool runs (per sandbox: a supervisor and the sandbox's pid 1)
 * @param memoryBytes their resident memory plus the pool's cgroups' memory use
 */
public record PrewarmStats(int target, int ready, int processes, long memoryBytes) {

    /** No pool. */
    public static final PrewarmStats NONE = new PrewarmStats(0, 0, 0, 0);
}
