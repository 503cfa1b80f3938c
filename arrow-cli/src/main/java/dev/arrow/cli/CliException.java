package dev.arrow.cli;

import java.io.Serial;

/** A failure the user should read as one line, {@code arrow: <message>}, with its exit status. */
final class CliException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    private final int status;

    CliException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** A local problem: bad manifest, missing code, unreadable file. */
    static CliException usage(String message) {
        return new CliException(ExitStatus.USAGE, message);
    }

    int status() {
        return status;
    }
}
