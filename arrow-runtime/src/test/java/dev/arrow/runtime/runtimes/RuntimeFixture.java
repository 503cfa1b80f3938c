package dev.arrow.runtime.runtimes;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** What the runtime ITs share: Arrow's runtimes installed once per class, a code directory per test. */
abstract class RuntimeFixture {

    @TempDir
    static Path runtimes;
    static Path runtimeDir;

    @TempDir
    Path code;

    @BeforeAll
    static void install() throws Exception {
        runtimeDir = Runtimes.install(runtimes);
    }
}
