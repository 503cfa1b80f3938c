package dev.arrow.platform;

/** No instance of an http-mode arrow could be started for a request; the record says why. */
public final class InstanceUnavailableException extends PlatformException {

    private final String invocationId;

    public InstanceUnavailableException(String invocationId, String message) {
        super(message);
        this.invocationId = invocationId;
    }

    public String invocationId() {
        return invocationId;
    }
}
