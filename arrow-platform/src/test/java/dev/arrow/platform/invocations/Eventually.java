package dev.arrow.platform.invocations;

import java.util.function.BooleanSupplier;

/** Waits for what another thread does, looking every real millisecond; fails after the tests' patience. */
final class Eventually {

    private Eventually() {
    }

    static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + FakeSandboxes.PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the condition did not become true within " + FakeSandboxes.PATIENCE);
            }
            Thread.sleep(1);
        }
    }
}
