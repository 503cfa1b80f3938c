package dev.arrow.sandbox;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.Optional;

/**
 * A native program that the build puts in {@code native/target/} (the sandbox helper, the shell
 * runtime), found at run time, since Maven never packages native programs with the Java code: the
 * system property, then the environment variable, then {@code native/target/NAME} (a source tree)
 * or {@code libexec/NAME} (an installation) in any directory above this code's jar or classes
 * directory.
 *
 * @param name        the file's name
 * @param property    the system property that names it
 * @param environment the environment variable that names it
 */
public record NativeProgram(String name, String property, String environment) {

    /** arrow-sandbox-helper: {@code -Darrow.helper}, {@code ARROW_HELPER}. */
    public static final NativeProgram SANDBOX_HELPER =
            new NativeProgram("arrow-sandbox-helper", "arrow.helper", "ARROW_HELPER");

    /** @throws NoSuchFileException naming what was tried, when no executable is found */
    public Path locate() throws NoSuchFileException {
        return locate(System.getProperty(property), System.getenv(environment), codeLocation());
    }

    /** {@link #locate()} with the settings and the code's location given (tests). */
    public Path locate(String propertyValue, String environmentValue, Optional<Path> codeLocation)
            throws NoSuchFileException {
        // An explicit setting that is wrong is an error, not a reason to quietly use another binary.
        if (propertyValue != null && !propertyValue.isBlank()) {
            return requireExecutable(Path.of(propertyValue), "-D" + property);
        }
        if (environmentValue != null && !environmentValue.isBlank()) {
            return requireExecutable(Path.of(environmentValue), environment);
        }
        List<String> candidates = List.of("native/target/" + name, "libexec/" + name);
        for (Path dir = codeLocation.orElse(null); dir != null; dir = dir.getParent()) {
            for (String candidate : candidates) {
                Path binary = dir.resolve(candidate);
                if (isExecutableFile(binary)) {
                    return binary;
                }
            }
        }
        throw new NoSuchFileException(name, null, "cannot find " + name
                + ": build it with './mvnw -pl native compile' or name it with -D" + property + " or " + environment);
    }

    private static Path requireExecutable(Path binary, String setting) throws NoSuchFileException {
        if (!isExecutableFile(binary)) {
            throw new NoSuchFileException(binary.toString(), null,
                    setting + " names " + binary + ", which is not an executable file");
        }
        return binary.toAbsolutePath();
    }

    private static boolean isExecutableFile(Path path) {
        return Files.isRegularFile(path) && Files.isExecutable(path);
    }

    private static Optional<Path> codeLocation() {
        try {
            CodeSource source = NativeProgram.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (Exception e) { // unusual class loaders: fall back to the explicit settings
            return Optional.empty();
        }
    }
}
