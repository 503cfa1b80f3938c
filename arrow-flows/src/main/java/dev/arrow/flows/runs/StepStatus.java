package dev.arrow.flows.runs;

/** Where a step stands: RUNNING (or WAITING on a timer or an event) until it ends one of the other ways. */
public enum StepStatus {
    RUNNING, WAITING, SUCCEEDED, FAILED, CANCELLED, SKIPPED;

    public boolean ended() {
        return this != RUNNING && this != WAITING;
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
