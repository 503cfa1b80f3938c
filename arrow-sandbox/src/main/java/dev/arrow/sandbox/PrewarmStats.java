package dev.arrow.sandbox;

/**
 * What a driver's pool of prewarmed sandboxes holds and costs, e.g. for a node's metrics.
 *
 * @param target      how many prewarmed sandboxes the pool keeps
 * @param ready       how many wait ready now
 * @param processes   processes the pool runs (per sandbox: a supervisor and the sandbox's pid 1)
 * @param memoryBytes the supervisors' resident memory plus the memory charged to the sandboxes' cgroups
 */
public record PrewarmStats(int target, int ready, int processes, long memoryBytes) {

    /** No pool. */
    public static final PrewarmStats NONE = new PrewarmStats(0, 0, 0, 0);
}
