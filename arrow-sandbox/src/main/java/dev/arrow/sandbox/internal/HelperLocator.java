package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.NativeProgram;
import dev.arrow.sandbox.SandboxException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the native {@code arrow-sandbox-helper} ({@link NativeProgram#SANDBOX_HELPER}), failing as the sandbox API does. */
public final class HelperLocator {

    private HelperLocator() {
    }

    /** @throws SandboxException naming what was tried, when no executable helper is found */
    public static Path locate() throws SandboxException {
        try {
            return NativeProgram.SANDBOX_HELPER.locate();
        } catch (NoSuchFileException e) {
            throw new SandboxException(e.getReason(), e);
        }
    }

    static Path locate(String property, String environment, Optional<Path> codeLocation) throws SandboxException {
        try {
            return NativeProgram.SANDBOX_HELPER.locate(property, environment, codeLocation);
        } catch (NoSuchFileException e) {
            throw new SandboxException(e.getReason(), e);
        }
    }
}
