package dev.arrow.runtime.bundle;

/**
 * Caps on what one bundle archive may be and unpack to.
 *
 * @param maxPackedBytes   size of the archive as uploaded
 * @param maxUnpackedBytes total size of the regular files, counted while they are written
 * @param maxFiles         entries in the unpacked tree: regular files, directories and symlinks
 * @param maxPathLength    bytes (UTF-8) of an entry's path inside the bundle, and of a link target
 * @param maxDepth         components of an entry's path
 */
public record BundleLimits(long maxPackedBytes, long maxUnpackedBytes, int maxFiles, int maxPathLength,
                           int maxDepth) {

    private static final long MIB = 1024L * 1024L;

    /** The node's caps (docs/api.md): 100 MiB packed, 500 MiB and 10000 entries unpacked. */
    public static final BundleLimits DEFAULT = new BundleLimits(100 * MIB, 500 * MIB, 10_000, 4096, 64);

    public BundleLimits {
        if (maxPackedBytes <= 0 || maxUnpackedBytes <= 0 || maxFiles <= 0 || maxPathLength <= 0 || maxDepth <= 0) {
            throw new IllegalArgumentException("bundle limits must be positive");
        }
    }

    /** A size for messages: "100 MiB", "1536 bytes". */
    static String describe(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + " MiB" : bytes + " bytes";
    }
}
