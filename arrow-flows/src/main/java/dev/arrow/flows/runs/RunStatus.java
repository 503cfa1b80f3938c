package dev.arrow.flows.runs;

/** Where a run stands. All but RUNNING are final, until a failed or timed-out run is redriven. */
public enum RunStatus {
    RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED;

    public boolean finished() {
        return this != RUNNING;
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
