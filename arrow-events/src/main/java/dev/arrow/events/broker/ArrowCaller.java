package dev.arrow.events.broker;

import dev.arrow.events.triggers.Trigger;
import io.cloudevents.CloudEvent;
import java.util.Optional;

/** How the broker runs an arrow with an event: the platform's invocations, behind a port. */
public interface ArrowCaller {

    /** How a call ended. */
    sealed interface Outcome {
        /** The arrow took the event; it may have answered with an event of its own (Knative's reply). */
        record Succeeded(Optional<CloudEvent> reply) implements Outcome {
        }

        /** The arrow failed or could not be run; worth another attempt by the trigger's policy. */
        record Failed(String error) implements Outcome {
        }

        /** The arrow is at its capacity: the event waits, with no attempt counted. */
        record Busy() implements Outcome {
        }
    }

    Outcome call(String arrow, Trigger trigger, EventEnvelope event) throws InterruptedException;
}
