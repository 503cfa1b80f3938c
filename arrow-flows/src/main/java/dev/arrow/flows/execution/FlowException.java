package dev.arrow.flows.execution;

/** A request about flows or runs that cannot be done: why, in the user's words, and which kind of refusal it is. */
public final class FlowException extends Exception {

    /**
     * The kinds of refusal; the API maps them to 404, 409, 413, 400 and 429. BUSY: the node runs
     * as many runs as it may, or is stopping; the same start succeeds later.
     */
    public enum Kind { NOT_FOUND, CONFLICT, TOO_LARGE, INVALID, BUSY }

    private final Kind kind;

    public FlowException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
