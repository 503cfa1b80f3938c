package dev.arrow.sandbox;

import java.io.Serial;

/** No sandbox could be started; the message says why in words fit for an end user. */
public class SandboxException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
