package dev.arrow.platform.invocations;

import dev.arrow.sandbox.SandboxResult;

/** Told about every finished invocation: how metrics are kept without the platform knowing the metrics library. */
@FunctionalInterface
public interface InvocationListener {

    void finished(InvocationRecord record);

    /** An exec-mode invocation's sandbox has ended, before its record is finished. */
    default void sandboxEnded(SandboxResult sandbox) {
    }

    InvocationListener NONE = record -> { };
}
