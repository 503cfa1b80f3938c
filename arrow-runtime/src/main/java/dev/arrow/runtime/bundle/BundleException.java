package dev.arrow.runtime.bundle;

/**
 * An archive that is refused as a bundle: not an archive, damaged, over a cap, or holding an entry
 * that could escape or subvert the tree. The message is meant for the user who uploaded it and
 * names the entry at fault, e.g. {@code entry '../x': path escapes the bundle}.
 */
public final class BundleException extends Exception {

    private static final long serialVersionUID = 1L;

    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
