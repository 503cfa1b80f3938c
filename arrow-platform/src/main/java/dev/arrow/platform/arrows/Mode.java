package dev.arrow.platform.arrows;

/** How an arrow is invoked. */
public enum Mode {
    /** A fresh sandbox per invocation: body on stdin, response on stdout, stderr is the log. */
    EXEC,
    /** A long-lived server on $PORT (the warm-instance issue); refused at deploy until then. */
    HTTP
}
