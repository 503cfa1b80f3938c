package dev.arrow.runtime.runtimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LanguageRuntimeTest {

    @Test
    void idsAndLookup() {
        assertThat(LanguageRuntime.of("python3")).isEqualTo(LanguageRuntime.PYTHON3);
        assertThat(LanguageRuntime.of("node")).isEqualTo(LanguageRuntime.NODE);
        assertThat(LanguageRuntime.of("shell")).isEqualTo(LanguageRuntime.SHELL);
        assertThat(LanguageRuntime.find("python")).isEmpty();
        assertThatThrownBy(() -> LanguageRuntime.of("ruby"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown runtime 'ruby': known are python3, node, shell");
    }

    @Test
    void commandsRunTheBootstrapsFromTheMountPoint() {
        assertThat(LanguageRuntime.PYTHON3.command(Runtimes.MOUNT_POINT))
                .containsExactly("python3", "-B", "-u", "/opt/arrow/runtime/bootstrap.py");
        assertThat(LanguageRuntime.NODE.command(Runtimes.MOUNT_POINT))
                .containsExactly("node", "/opt/arrow/runtime/bootstrap.js");
        assertThat(LanguageRuntime.SHELL.command(Path.of("/x")))
                .containsExactly("/x/arrow-shell-runtime");
    }

    @ParameterizedTest
    @ValueSource(strings = {"app.handler", "pkg.mod.handler", "_private.fn_2", "a.b.c.d.e"})
    void goodPythonHandlers(String handler) {
        assertThat(LanguageRuntime.PYTHON3.validateHandler(handler)).isEqualTo(handler);
    }

    @ParameterizedTest
    @ValueSource(strings = {"handler", "app.", ".handler", "app..handler", "1app.handler", "pkg/mod.handler",
            "app.handler()", "app-x.handler", "app. handler", "../app.handler"})
    void badPythonHandlers(String handler) {
        assertThatThrownBy(() -> LanguageRuntime.PYTHON3.validateHandler(handler))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("handler for runtime python3 '" + handler + "' is not module.function");
    }

    @ParameterizedTest
    @ValueSource(strings = {"index.handler", "src/app.handler", "lib.v2/index.handler", "index.api.get",
            "my-fn.$handler", "a/b/c/d.e"})
    void goodNodeHandlers(String handler) {
        assertThat(LanguageRuntime.NODE.validateHandler(handler)).isEqualTo(handler);
    }

    @ParameterizedTest
    @ValueSource(strings = {"index", "index.", "/index.handler", "src//app.handler", "index.1handler",
            "src/.handler", "in dex.handler", "index.handler/x"})
    void badNodeHandlers(String handler) {
        assertThatThrownBy(() -> LanguageRuntime.NODE.validateHandler(handler))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("handler for runtime node '" + handler + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"handler.sh", "bin/run", "scripts/v1.2/main.sh", "run", ".hidden/run"})
    void goodShellHandlers(String handler) {
        assertThat(LanguageRuntime.SHELL.validateHandler(handler)).isEqualTo(handler);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b.sh", "bin/", "bin//run", "run;rm", "$(x)", "run\n"})
    void badShellHandlers(String handler) {
        assertThatThrownBy(() -> LanguageRuntime.SHELL.validateHandler(handler))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a script path");
    }

    @Test
    void pathsStayInTheCodeDirectory() {
        assertThatThrownBy(() -> LanguageRuntime.SHELL.validateHandler("/bin/sh"))
                .hasMessage("handler for runtime shell '/bin/sh' must be relative to the code directory, not absolute");
        assertThatThrownBy(() -> LanguageRuntime.SHELL.validateHandler("../etc/passwd"))
                .hasMessage("handler for runtime shell '../etc/passwd' must not contain '..'");
        assertThatThrownBy(() -> LanguageRuntime.NODE.validateHandler("lib/../../x.handler"))
                .hasMessage("handler for runtime node 'lib/../../x.handler' must not contain '..'");
        assertThatThrownBy(() -> LanguageRuntime.SHELL.validateHandler("./run.sh"))
                .hasMessage("handler for runtime shell './run.sh' must not contain '.' as a path segment");
    }

    @Test
    void missingAndOverlongHandlers() {
        assertThatThrownBy(() -> LanguageRuntime.PYTHON3.validateHandler(null))
                .hasMessageStartingWith("handler for runtime python3 is missing: it is module.function");
        assertThatThrownBy(() -> LanguageRuntime.NODE.validateHandler(""))
                .hasMessageStartingWith("handler for runtime node is missing");
        String longOne = "a".repeat(600) + ".handler";
        assertThatThrownBy(() -> LanguageRuntime.PYTHON3.validateHandler(longOne))
                .hasMessageEndingWith("...' is longer than 512 characters");
    }
}
