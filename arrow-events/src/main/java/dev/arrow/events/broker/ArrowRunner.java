package dev.arrow.events.broker;

import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.invocations.Trigger;
import java.util.Map;
import java.util.Optional;

/**
 * How the events layer runs an arrow, whatever made it run (an event, a schedule, a queue's
 * batch): the platform's invocations behind a port, implemented by the node. An exec arrow gets
 * {@code body} on stdin and answers with its stdout; an http-mode arrow gets a POST with
 * {@code headers} and {@code body} and answers with its response.
 */
public interface ArrowRunner {

    /** The mode of the revision that gets traffic; empty when the arrow is gone. */
    Optional<Mode> mode(String arrow);

    /** How a run ended. */
    sealed interface Result {
        /** It ran and succeeded: its stdout or response body, and the response's headers (none for exec). */
        record Succeeded(byte[] body, Map<String, String> headers) implements Result {
        }

        /** It ran and failed, or could not be started: why, in the user's words. */
        record Failed(String error) implements Result {
        }

        /** The arrow is at its capacity (its instances and the node's): try again later, nothing ran. */
        record Busy() implements Result {
        }
    }

    /**
     * Runs the arrow once with {@code body}, recorded as an invocation made by {@code trigger}.
     * Redeliveries carry the same event id (a header, and in the body), by which the arrow dedupes.
     */
    Result run(String arrow, Trigger trigger, Map<String, String> headers, byte[] body) throws InterruptedException;
}
