package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.arrow.sandbox.internal.ProcessDriver;
import java.time.Duration;

/** A driver of its own with a pool of prewarmed sandboxes, for tests that must run prewarmed. */
final class PrewarmPool {

    private static final SandboxDriver DRIVER = ProcessDriver.newDriver();

    static {
        DRIVER.prewarm(2);
    }

    private PrewarmPool() {
    }

    /** Runs one sandbox made of a prewarmed one, and checks that it was. */
    static SandboxRun run(SandboxSpec spec) throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> DRIVER.prewarmStats().ready() > 0);
        SandboxRun run = SandboxRun.run(DRIVER, spec);
        assertThat(run.result().prewarmed()).as("made of a prewarmed sandbox").isTrue();
        return run;
    }
}
