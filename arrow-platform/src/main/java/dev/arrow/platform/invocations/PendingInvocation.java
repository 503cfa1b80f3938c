package dev.arrow.platform.invocations;

/** An accepted async invocation that has not finished, with the body it was given. */
public record PendingInvocation(InvocationRecord record, byte[] input) {
}
