/**
 * Code bundles: {@link dev.arrow.runtime.bundle.BundleUnpacker} turns an untrusted .tar.gz or .zip
 * into a normalized tree (or refuses it with a {@link dev.arrow.runtime.bundle.BundleException}
 * naming the entry at fault), and {@link dev.arrow.runtime.bundle.TreeDigest} gives that tree its
 * content address, independent of the archive format it came in.
 */
package dev.arrow.runtime.bundle;
