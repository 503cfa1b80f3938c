package dev.arrow.flows.execution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.definition.FlowError;
import java.time.Duration;

/** How the executor runs an arrow: the platform's invocations behind a port, implemented by the node. */
public interface FlowCalls {

    /** True when an arrow of this name is deployed. */
    boolean exists(String arrow);

    /** How a call ended. */
    sealed interface Result {
        /** The arrow answered: its stdout, or its response body, read as JSON (a non-JSON answer is a JSON string). */
        record Succeeded(JsonNode output) implements Result {
        }

        /** The arrow failed, timed out or could not run: the error the step raises. */
        record Failed(FlowError error) implements Result {
        }

        /** The arrow is at its capacity: nothing ran; the executor tries again shortly. */
        record Busy() implements Result {
        }
    }

    /**
     * Runs {@code arrow} once with {@code input} as its JSON body, recorded as an invocation made
     * by a flow. {@code idempotencyKey} ({@code run id + step path + attempt}) reaches the arrow
     * (the {@code Idempotency-Key} header of an http arrow, {@code ARROW_IDEMPOTENCY_KEY} in an
     * exec arrow's environment) so that an arrow called again after a crash can tell.
     * {@code timeout} bounds the call; a call that runs longer fails with a timeout error.
     */
    Result call(String arrow, JsonNode input, String idempotencyKey, Duration timeout) throws InterruptedException;
}
