package dev.arrow.platform.arrows;

/** How an arrow is invoked. */
public enum Mode {
    /** A fresh sandbox per invocation: body on stdin, response on stdout, stderr is the log. */
    EXEC,
    /** A long-lived server on $PORT, kept warm between invocations; the node forwards requests to it. */
    HTTP
}
