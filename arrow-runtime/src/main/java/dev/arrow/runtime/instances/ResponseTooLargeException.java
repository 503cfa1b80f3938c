package dev.arrow.runtime.instances;

import java.io.IOException;
import java.io.Serial;

/** An instance's answer passed the size its caller would take. */
public final class ResponseTooLargeException extends IOException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final long maxBytes;

    public ResponseTooLargeException(long maxBytes, Throwable cause) {
        super("the response is larger than " + maxBytes + " bytes", cause);
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
