/**
 * Language runtimes: handler bootstraps on top of the {@code http} invocation mode for interpreters
 * on the host. {@link dev.arrow.runtime.runtimes.LanguageRuntime} names them ({@code python3},
 * {@code node}, {@code shell}), validates handler strings and gives the argv that starts an
 * instance; {@link dev.arrow.runtime.runtimes.Runtimes#install} writes the bootstraps into a
 * read-only, content-addressed directory that is mounted at
 * {@link dev.arrow.runtime.runtimes.Runtimes#MOUNT_POINT} inside the sandbox. The protocol between
 * the node and a bootstrap is in {@code dev/arrow/runtime/bootstrap/README.md} (resources).
 */
package dev.arrow.runtime.runtimes;
