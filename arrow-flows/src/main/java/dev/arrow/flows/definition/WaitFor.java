package dev.arrow.flows.definition;

import java.time.Duration;

/** How long a {@code wait} waits. */
public sealed interface WaitFor {

    /** A fixed duration, up to {@link #MAX}. */
    record Fixed(Duration duration) implements WaitFor {
    }

    /** A number of seconds a jq expression gives on the task's input (States Language's SecondsPath). */
    record SecondsFrom(String expression) implements WaitFor {
    }

    /** Until the ISO 8601 instant a jq expression gives on the task's input (States Language's Timestamp and TimestampPath). */
    record Until(String expression) implements WaitFor {
    }

    /** The longest wait a flow may ask for. */
    Duration MAX = Duration.ofDays(30);
}
