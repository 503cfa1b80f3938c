package dev.arrow.cli.client;

import java.io.IOException;
import java.io.Serial;

/** The node could not be reached, or the connection to it broke: nothing the node said. */
public final class NodeUnreachableException extends IOException {

    @Serial
    private static final long serialVersionUID = 1L;

    public NodeUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
