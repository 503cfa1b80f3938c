/**
 * Code bundles on disk: {@link dev.arrow.state.bundles.FileBundleStore} keeps each unpacked tree
 * under {@code <bundlesDir>/<sha256 hex>}, root-owned and read-only for everyone else, so that it
 * can be bind-mounted read-only at {@code /code}. Unpacking and its rules live in
 * {@code dev.arrow.runtime.bundle}; a tree is unpacked into {@code .tmp-*} beside the stored ones
 * and renamed into place once its digest is known, so a stored tree is always complete.
 */
package dev.arrow.state.bundles;
