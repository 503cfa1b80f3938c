package dev.arrow.sandbox;

/** What network a sandbox sees. */
public enum NetworkPolicy {
    /** A private network namespace with only a loopback interface: the safe default. */
    NONE,
    /** The host's network, shared: for programs that must reach other machines. */
    HOST
}
