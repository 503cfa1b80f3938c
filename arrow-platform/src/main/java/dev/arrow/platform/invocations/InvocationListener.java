package dev.arrow.platform.invocations;

/** Told about every finished invocation: how metrics are kept without the platform knowing the metrics library. */
@FunctionalInterface
public interface InvocationListener {

    void finished(InvocationRecord record);

    InvocationListener NONE = record -> { };
}
