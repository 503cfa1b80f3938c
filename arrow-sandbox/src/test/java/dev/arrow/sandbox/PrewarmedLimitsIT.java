package dev.arrow.sandbox;

/** {@link LimitsIT}'s limits, each applied to a sandbox made of a prewarmed one. */
class PrewarmedLimitsIT extends LimitsIT {

    @Override
    SandboxRun run(SandboxSpec spec) throws Exception {
        return PrewarmPool.run(spec);
    }
}
