package dev.arrow.flows.execution;

import dev.arrow.flows.runs.RunStatus;
import java.time.Duration;

/** What the executor reports as it goes, for the node's metrics. Called on the executor's threads: keep it quick. */
public interface FlowListener {

    default void runStarted(String flow) {
    }

    default void runEnded(String flow, RunStatus status) {
    }

    default void stepEnded(String flow, String kind, Duration took) {
    }

    FlowListener NONE = new FlowListener() {
    };
}
