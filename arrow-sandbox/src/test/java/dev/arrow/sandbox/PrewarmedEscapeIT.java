package dev.arrow.sandbox;

/** {@link EscapeIT}'s attempts, each from a sandbox made of a prewarmed one. */
class PrewarmedEscapeIT extends EscapeIT {

    @Override
    SandboxRun run(SandboxSpec spec) throws Exception {
        return PrewarmPool.run(spec);
    }
}
