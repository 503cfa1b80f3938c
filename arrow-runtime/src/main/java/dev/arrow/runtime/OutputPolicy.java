package dev.arrow.runtime;

/**
 * How much of an invocation's output and log the node keeps.
 *
 * @param maxOutputBytes stdout beyond this fails the invocation as output-too-large (and stops it)
 * @param maxLogBytes    stderr kept per invocation; beyond it the middle is dropped with a marker
 * @param tailBytes      how much of stderr's end an error response carries
 */
public record OutputPolicy(int maxOutputBytes, int maxLogBytes, int tailBytes) {

    /** 6 MiB of output (Lambda's synchronous payload limit), 256 KiB of log, a 4 KiB tail. */
    public static final OutputPolicy DEFAULT = new OutputPolicy(6 << 20, 256 << 10, 4 << 10);

    public OutputPolicy {
        if (maxOutputBytes < 0 || maxLogBytes < 2 * tailBytes || tailBytes < 0) {
            throw new IllegalArgumentException("need 0 <= tail, 2 x tail <= log, 0 <= output");
        }
    }
}
