package dev.arrow.runtime.instances;

/**
 * A fleet at one moment.
 *
 * @param instances running (ready) instances
 * @param starting  instances being started
 * @param busy      instances serving at least one request
 * @param inFlight  requests being served
 * @param waiting   requests waiting for a free instance
 */
public record FleetStats(int instances, int starting, int busy, int inFlight, int waiting) {
}
