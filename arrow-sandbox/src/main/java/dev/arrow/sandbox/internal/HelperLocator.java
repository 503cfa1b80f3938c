package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.SandboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.Optional;

/**
 * Finds the native {@code arrow-sandbox-helper}: the {@code arrow.helper} system property, then the
 * {@code ARROW_HELPER} environment variable, then {@code native/target/} (a source tree) or
 * {@code libexec/} (an installation) in any directory above this code's jar or classes directory.
 * Maven never packages the helper with the Java code, so it has to be found at run time.
 */
public final class HelperLocator {

    static final String PROPERTY = "arrow.helper";
    static final String ENVIRONMENT = "ARROW_HELPER";
    private static final List<String> CANDIDATES =
            List.of("native/target/arrow-sandbox-helper", "libexec/arrow-sandbox-helper");

    private HelperLocator() {
    }

    /** @throws SandboxException naming what was tried, when no executable helper is found */
    public static Path locate() throws SandboxException {
        return locate(System.getProperty(PROPERTY), System.getenv(ENVIRONMENT), codeLocation());
    }

    static Path locate(String property, String environment, Optional<Path> codeLocation) throws SandboxException {
        // An explicit setting that is wrong is an error, not a reason to quietly use another helper.
        if (property != null && !property.isBlank()) {
            return requireExecutable(Path.of(property), "-D" + PROPERTY);
        }
        if (environment != null && !environment.isBlank()) {
            return requireExecutable(Path.of(environment), ENVIRONMENT);
        }
        for (Path dir = codeLocation.orElse(null); dir != null; dir = dir.getParent()) {
            for (String candidate : CANDIDATES) {
                Path helper = dir.resolve(candidate);
                if (isExecutableFile(helper)) {
                    return helper;
                }
            }
        }
        throw new SandboxException("cannot find arrow-sandbox-helper: build it with './mvnw -pl native compile'"
                + " or name it with -D" + PROPERTY + " or " + ENVIRONMENT);
    }

    private static Path requireExecutable(Path helper, String setting) throws SandboxException {
        if (!isExecutableFile(helper)) {
            throw new SandboxException(setting + " names " + helper + ", which is not an executable file");
        }
        return helper.toAbsolutePath();
    }

    private static boolean isExecutableFile(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }

    private static Optional<Path> codeLocation() {
        try {
            CodeSource source = HelperLocator.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (Exception e) { // unusual class loaders: fall back to the explicit settings
            return Optional.empty();
        }
    }
}
