package dev.arrow.server;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.RuntimeHandler;
import dev.arrow.platform.invocations.RuntimeLaunchers;
import dev.arrow.runtime.runtimes.LanguageRuntime;
import dev.arrow.runtime.runtimes.Runtimes;
import dev.arrow.sandbox.Mount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Arrow's language runtimes as this node runs them: the bootstraps installed once under
 * {@code $ARROW_HOME/runtimes}, mounted read-only at {@link Runtimes#MOUNT_POINT} in each instance.
 */
final class InstalledRuntimes implements RuntimeLaunchers {

    private static final Logger LOG = Logger.getLogger(InstalledRuntimes.class.getName());

    private final Path dir;

    private InstalledRuntimes(Path dir) {
        this.dir = dir;
    }

    /** Installs the bootstraps; without the shell runtime's binary, the node runs no runtimes. */
    static RuntimeLaunchers install(Path home) {
        try {
            return new InstalledRuntimes(Runtimes.install(home.resolve("runtimes")));
        } catch (IOException e) {
            LOG.warning("language runtimes are not available: " + e.getMessage());
            return RuntimeLaunchers.NONE;
        }
    }

    @Override
    public Launch launch(RuntimeHandler handler) {
        LanguageRuntime runtime;
        try {
            runtime = LanguageRuntime.of(handler.runtime());
            runtime.validateHandler(handler.handler());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("handler", e.getMessage());
        }
        return new Launch(runtime.command(Runtimes.MOUNT_POINT), Map.of("ARROW_HANDLER", handler.handler()),
                List.of(Mount.readOnly(dir, Runtimes.MOUNT_POINT.toString())));
    }
}
