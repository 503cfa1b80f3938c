package dev.arrow.cli.client;

/**
 * A code bundle the node stored, as {@code POST /v1/bundles} answers.
 *
 * @param digest  {@code sha256:<hex>}, for the {@code bundle} field of a deploy
 * @param files   number of regular files in it
 * @param bytes   total size of those files, unpacked
 * @param created false when the node had an identical bundle already
 */
public record Bundle(String digest, long files, long bytes, boolean created) {
}
