package dev.arrow.platform.invocations;

/** What made an invocation. Schedules, queues and events join this list with their issues. */
public enum Trigger {
    /** A synchronous API call that waits for the result. */
    SYNC,
    /** An asynchronous API call: accepted and persisted first, run when capacity allows. */
    ASYNC,
    /** A request to the gateway, {@code /a/{arrow}/...}, forwarded to an http-mode instance. */
    HTTP
}
