package dev.arrow.runtime.instances;

import dev.arrow.sandbox.SandboxResult;

/** What a fleet tells the node about its instances (metrics, logs). Called without locks held. */
public interface FleetEvents {

    FleetEvents NONE = new FleetEvents() {
    };

    default void started(String fleet, Instance instance) {
    }

    default void startFailed(String fleet, InstanceStartException failure) {
    }

    /** @param crashed it ended on its own (crash, out of memory), not stopped by the fleet */
    default void ended(String fleet, Instance instance, SandboxResult result, boolean crashed) {
    }
}
