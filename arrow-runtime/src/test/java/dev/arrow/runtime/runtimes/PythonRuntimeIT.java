package dev.arrow.runtime.runtimes;

import static dev.arrow.runtime.runtimes.BootstrapProcess.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What only the python3 bootstrap does, run by the host's /usr/bin/python3 over real HTTP; what
 * every runtime does is in LanguageRuntimesIT.
 */
@Timeout(60)
class PythonRuntimeIT extends RuntimeFixture {

    @Test
    void aDottedModuleInAPackageImportsFromTheCodeDirectory() throws Exception {
        Files.createDirectories(code.resolve("pkg/sub"));
        Files.writeString(code.resolve("pkg/__init__.py"), "");
        Files.writeString(code.resolve("pkg/sub/__init__.py"), "");
        Files.writeString(code.resolve("helper.py"), "VALUE = 'from helper'\n");
        Files.writeString(code.resolve("pkg/sub/mod.py"), """
                from helper import VALUE
                def handle(event, context):
                    return [__name__, VALUE]
                """);
        try (var python = BootstrapProcess.ready(LanguageRuntime.PYTHON3, runtimeDir, code, "pkg.sub.mod.handle")) {
            assertThat(text(python.post(""))).isEqualTo("[\"pkg.sub.mod\", \"from helper\"]");
        }
    }
}
