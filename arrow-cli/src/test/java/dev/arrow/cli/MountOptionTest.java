package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.sandbox.Mount;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountOptionTest {

    @TempDir
    Path cwd;

    @Test
    void readOnlyUnlessRw() throws Exception {
        Path code = Files.createDirectory(cwd.resolve("code"));

        assertThat(MountOption.parse(code + ":/code", cwd)).isEqualTo(Mount.readOnly(code, "/code"));
        assertThat(MountOption.parse(code + ":/code:ro", cwd)).isEqualTo(Mount.readOnly(code, "/code"));
        assertThat(MountOption.parse(code + ":/code:rw", cwd)).isEqualTo(Mount.writable(code, "/code"));
    }

    @Test
    void relativeHostPathIsResolvedAgainstTheWorkingDirectory() throws Exception {
        Path data = Files.createDirectories(cwd.resolve("app/data"));

        assertThat(MountOption.parse("app/./data:/data", cwd).source()).isEqualTo(data);
    }

    @Test
    void hostPathMustExist() {
        assertThatThrownBy(() -> MountOption.parse("missing:/code", cwd))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mount source " + cwd.resolve("missing") + " does not exist");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr", ":/code", "/usr:", "/usr:/a:/b:rw", ""})
    void malformedMountsAreRejected(String text) {
        assertThatThrownBy(() -> MountOption.parse(text, cwd))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a mount: use HOST:SANDBOX[:rw|:ro]");
    }

    @Test
    void modeMustBeRwOrRo() {
        assertThatThrownBy(() -> MountOption.parse("/usr:/usr:wr", cwd))
                .hasMessage("mount mode 'wr' in '/usr:/usr:wr' must be rw or ro");
    }

    @Test
    void sandboxPathMustBeAbsolute() {
        assertThatThrownBy(() -> MountOption.parse("/usr:usr", cwd))
                .hasMessage("mount target 'usr' must be an absolute path");
    }
}
