package dev.arrow.platform.invocations;

/** What made an invocation. */
public enum Trigger {
    /** A synchronous API call that waits for the result. */
    SYNC,
    /** An asynchronous API call: accepted and persisted first, run when capacity allows. */
    ASYNC,
    /** A request to the gateway, {@code /a/{arrow}/...} or a route the arrow claims, forwarded to an http-mode instance. */
    HTTP,
    /** A CloudEvent the broker delivered (posted to /v1/events, or an arrow's reply). */
    EVENT,
    /** A firing of one of the arrow's schedules. */
    SCHEDULE,
    /** A batch of messages of a queue the arrow's trigger names. */
    QUEUE,
    /** An object created or deleted in a bucket the arrow's trigger names. */
    BUCKET,
    /** A call step of a flow's run. */
    FLOW
}
