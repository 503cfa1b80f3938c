package dev.arrow.platform.bundles;

/**
 * A stored bundle.
 *
 * @param digest  {@code sha256:<hex>} over the tree: paths, kinds, modes and contents, not timestamps
 * @param files   number of regular files
 * @param bytes   total size of the regular files
 * @param created false when an identical tree was stored already
 */
public record BundleInfo(String digest, long files, long bytes, boolean created) {
}
