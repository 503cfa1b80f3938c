package dev.arrow.runtime.bundle;

/**
 * What an archive unpacked to.
 *
 * @param files number of regular files (a hard link counts as the copy it was unpacked to)
 * @param bytes total size of the regular files
 */
public record UnpackedBundle(long files, long bytes) {
}
