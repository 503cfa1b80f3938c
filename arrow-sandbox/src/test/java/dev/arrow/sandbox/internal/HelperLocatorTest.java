package dev.arrow.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HelperLocatorTest {

    @TempDir
    Path tree;

    @Test
    void propertyComesFirst() throws Exception {
        Path property = executable("a/helper");
        Path environment = executable("b/helper");

        assertThat(HelperLocator.locate(property.toString(), environment.toString(), Optional.empty()))
                .isEqualTo(property);
    }

    @Test
    void environmentComesNext() throws Exception {
        Path environment = executable("b/helper");

        assertThat(HelperLocator.locate(null, environment.toString(), Optional.of(tree))).isEqualTo(environment);
    }

    @Test
    void wrongExplicitSettingIsAnErrorEvenWhenAnotherHelperExists() throws Exception {
        executable("native/target/arrow-sandbox-helper");
        Path notExecutable = Files.createFile(tree.resolve("plain"));

        assertThatThrownBy(() -> HelperLocator.locate(notExecutable.toString(), null, Optional.of(tree)))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("-Darrow.helper names " + notExecutable + ", which is not an executable file");
        assertThatThrownBy(() -> HelperLocator.locate(null, "/nonexistent/helper", Optional.of(tree)))
                .hasMessageContaining("ARROW_HELPER names /nonexistent/helper");
    }

    @Test
    void findsTheSourceTreesHelperAboveTheClasses() throws Exception {
        Path helper = executable("native/target/arrow-sandbox-helper");
        Path classes = Files.createDirectories(tree.resolve("arrow-sandbox/target/classes"));

        assertThat(HelperLocator.locate(null, null, Optional.of(classes))).isEqualTo(helper);
    }

    @Test
    void findsAnInstalledHelperBesideTheJarsDirectory() throws Exception {
        Path helper = executable("libexec/arrow-sandbox-helper");
        Path jar = Files.createFile(Files.createDirectories(tree.resolve("lib")).resolve("arrow.jar"));

        assertThat(HelperLocator.locate(null, null, Optional.of(jar))).isEqualTo(helper);
    }

    @Test
    void skipsAHelperThatIsNotExecutable() throws Exception {
        Files.createDirectories(tree.resolve("native/target"));
        Files.createFile(tree.resolve("native/target/arrow-sandbox-helper"));

        assertThatThrownBy(() -> HelperLocator.locate(null, null, Optional.of(tree)))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("cannot find arrow-sandbox-helper");
    }

    private Path executable(String relative) throws IOException {
        Path file = tree.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }
}
