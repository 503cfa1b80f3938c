package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/** The process tier: each sandbox is one run of the native helper, started with ProcessBuilder. */
public final class ProcessDriver implements SandboxDriver {

    /** Finds the helper anew for every sandbox, so a helper built after the JVM started is used. */
    public static final ProcessDriver INSTANCE = new ProcessDriver(HelperLocator::locate);

    private static Path resultDirectory; // guarded by ProcessDriver.class

    private final HelperSource helperSource;

    /** A driver that always uses {@code helper}. */
    ProcessDriver(Path helper) {
        this(() -> helper);
    }

    private ProcessDriver(HelperSource helperSource) {
        this.helperSource = helperSource;
    }

    @Override
    public Sandbox start(SandboxSpec spec, Stdio stdio) throws SandboxException {
        Path helper = helperSource.helper();
        String id = HelperCommand.newSandboxId();
        Path resultFile = resultDirectory().resolve(id + ".json");
        var builder = new ProcessBuilder(HelperCommand.argv(helper, id, spec, Optional.of(resultFile)));
        switch (stdio) {
            case INHERIT -> builder.inheritIO();
            case PIPE -> { } // ProcessBuilder's default
            case DISCARD -> builder.redirectInput(new File("/dev/null"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        long startNanos = System.nanoTime();
        try {
            return new ProcessSandbox(builder.start(), stdio, helper, id, resultFile, startNanos);
        } catch (IOException e) {
            throw new SandboxException("cannot run " + helper + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where helpers write their result files: one directory per JVM, readable by its owner only,
     * so no other user can plant or read a result.
     */
    private static synchronized Path resultDirectory() throws SandboxException {
        if (resultDirectory == null) {
            try {
                resultDirectory = Files.createTempDirectory("arrow-results-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                resultDirectory.toFile().deleteOnExit(); // works because every result file is deleted once read
            } catch (IOException e) {
                throw new SandboxException("cannot create a private temporary directory: " + e.getMessage(), e);
            }
        }
        return resultDirectory;
    }

    @FunctionalInterface
    private interface HelperSource {
        Path helper() throws SandboxException;
    }
}
