package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeProgramTest {

    private static final NativeProgram LOCATOR =
            new NativeProgram("arrow-shell-runtime", "arrow.shellRuntime", "ARROW_SHELL_RUNTIME");

    @TempDir
    Path tree;

    @Test
    void propertyThenEnvironmentThenTheTreeAboveTheCode() throws Exception {
        Path property = executable("a/shell");
        Path environment = executable("b/shell");
        Path built = executable("native/target/arrow-shell-runtime");
        Path classes = Files.createDirectories(tree.resolve("arrow-runtime/target/classes"));

        assertThat(LOCATOR.locate(property.toString(), environment.toString(), Optional.of(classes))).isEqualTo(property);
        assertThat(LOCATOR.locate(null, environment.toString(), Optional.of(classes))).isEqualTo(environment);
        assertThat(LOCATOR.locate(" ", null, Optional.of(classes))).isEqualTo(built);
    }

    @Test
    void findsAnInstallationsLibexec() throws Exception {
        Path installed = executable("libexec/arrow-shell-runtime");
        Path jar = Files.createDirectories(tree.resolve("lib")).resolve("arrow.jar");

        assertThat(LOCATOR.locate(null, null, Optional.of(jar))).isEqualTo(installed);
    }

    @Test
    void wrongOrMissingIsAClearError() throws Exception {
        executable("native/target/arrow-shell-runtime");
        Path plain = Files.createFile(tree.resolve("plain"));

        assertThatThrownBy(() -> LOCATOR.locate(plain.toString(), null, Optional.of(tree)))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("-Darrow.shellRuntime names " + plain + ", which is not an executable file");
        assertThatThrownBy(() -> LOCATOR.locate(null, "/nonexistent/x", Optional.of(tree)))
                .hasMessageContaining("ARROW_SHELL_RUNTIME names /nonexistent/x");
    }

    @Test
    void nothingFoundIsAClearError() {
        assertThatThrownBy(() -> LOCATOR.locate(null, null, Optional.of(tree.resolve("elsewhere"))))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("cannot find arrow-shell-runtime");
    }

    private Path executable(String relative) throws IOException {
        Path path = tree.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.writeString(path, "#!/bin/sh\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }
}
