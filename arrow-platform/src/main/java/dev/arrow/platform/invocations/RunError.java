package dev.arrow.platform.invocations;

import java.util.Objects;

/**
 * Why the platform calls a run failed beyond how its sandbox ended: each kind has its own API
 * error code, so that nothing above has to read a message to know which it was.
 */
public sealed interface RunError {

    /** The REST API's error code for a run that failed so. */
    String code();

    /** What happened, in the user's words. */
    String message();

    /** The program's stdout passed the node's cap. */
    record OutputTooLarge(long maxBytes) implements RunError {
        @Override
        public String code() {
            return "output_too_large";
        }

        @Override
        public String message() {
            return "the output is larger than " + maxBytes + " bytes";
        }
    }

    /** A language runtime's handler threw; {@code detail} is "Type: message" as the runtime reported it. */
    record HandlerFailed(String detail) implements RunError {
        public HandlerFailed {
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String code() {
            return "handler_error";
        }

        @Override
        public String message() {
            return detail.isEmpty() ? "the handler failed" : "the handler failed: " + detail;
        }
    }

    /** The instance answered a server error, or crashed while serving. */
    record InstanceFailed(String detail) implements RunError {
        public InstanceFailed {
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String code() {
            return "instance_failed";
        }

        @Override
        public String message() {
            return detail;
        }
    }

    /** The client left before the answer was out: not the instance's fault. */
    record Abandoned(String detail) implements RunError {
        public Abandoned {
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String code() {
            return "abandoned";
        }

        @Override
        public String message() {
            return detail;
        }
    }

    /**
     * The error a store wrote as {@link #code()} and {@link #message()}, read back. A code this
     * version does not know reads as an instance failure with its message, never as a loss.
     */
    static RunError restore(String code, String message) {
        return switch (code == null ? "" : code) {
            case "output_too_large" -> new OutputTooLarge(maxBytesIn(message));
            case "handler_error" -> new HandlerFailed(message.startsWith("the handler failed: ")
                    ? message.substring("the handler failed: ".length()) : "");
            case "abandoned" -> new Abandoned(message);
            default -> new InstanceFailed(message);
        };
    }

    private static long maxBytesIn(String message) {
        String digits = message.replaceAll("[^0-9]", "");
        try {
            return digits.isEmpty() ? 0 : Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
