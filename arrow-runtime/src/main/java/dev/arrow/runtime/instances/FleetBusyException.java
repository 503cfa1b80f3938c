package dev.arrow.runtime.instances;

/** No instance was free in time, or too many requests wait already: try again later. */
public final class FleetBusyException extends Exception {

    public FleetBusyException(String message) {
        super(message);
    }
}
