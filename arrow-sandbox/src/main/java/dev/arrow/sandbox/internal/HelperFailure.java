package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxResult;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What is left to do when a sandbox's supervisor ended without a result: clean up after it. */
final class HelperFailure {

    private static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(10);

    private HelperFailure() {
    }

    /**
     * Removes whatever sandbox {@code id} left (its supervisor was killed or crashed, so its
     * processes and cgroup may still be there) and says so in a setup-failed result.
     */
    static SandboxResult setupFailed(Path helper, String id, Duration wallTime, String detail) throws InterruptedException {
        String cleanupProblem = cleanUp(helper, id).map(problem -> "; " + problem).orElse("");
        return new SandboxResult(new Outcome.FailedToStart("setup-failed", detail + cleanupProblem),
                wallTime, Duration.ZERO, Duration.ZERO, 0);
    }

    /** Runs {@code helper --cleanup ID}; returns what went wrong, if anything. */
    private static Optional<String> cleanUp(Path helper, String id) throws InterruptedException {
        try {
            Process cleanup = new ProcessBuilder(HelperCommand.cleanupArgv(helper, id))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!cleanup.waitFor(CLEANUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                cleanup.destroyForcibly();
                return Optional.of("cleanup of " + id + " did not finish in " + CLEANUP_TIMEOUT.toSeconds() + " s");
            }
            return cleanup.exitValue() == 0
                    ? Optional.empty()
                    : Optional.of("cleanup of " + id + " failed with status " + cleanup.exitValue());
        } catch (IOException e) {
            return Optional.of("cannot run the cleanup of " + id + ": " + e.getMessage());
        }
    }
}
