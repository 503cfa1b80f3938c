package dev.arrow.runtime.runtimes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimesTest {

    @TempDir
    Path tmp;

    private Path fakeShellRuntime(String content) throws Exception {
        Path binary = Files.writeString(tmp.resolve("shell-" + content.hashCode()), content);
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        return binary;
    }

    @Test
    void installsEveryBootstrapReadOnlyIntoAContentAddressedDirectory() throws Exception {
        Path dir = Runtimes.install(tmp.resolve("runtimes"), fakeShellRuntime("#!/bin/sh\n"));

        assertThat(dir.getParent()).isEqualTo(tmp.resolve("runtimes"));
        assertThat(dir.getFileName().toString()).matches("[0-9a-f]{16}");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrder("bootstrap.py", "bootstrap.js", "arrow-shell-runtime", "arrow.py", "arrow.js");
        }
        assertThat(Files.readString(dir.resolve("bootstrap.py"))).contains("ThreadingHTTPServer");
        assertThat(Files.readString(dir.resolve("bootstrap.js"))).contains("require('http')");
        assertThat(Files.readString(dir.resolve("arrow-shell-runtime"))).isEqualTo("#!/bin/sh\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("r-xr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("bootstrap.py"))))
                .isEqualTo("r--r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("arrow-shell-runtime"))))
                .isEqualTo("r-xr-xr-x");
        try (Stream<Path> entries = Files.list(tmp.resolve("runtimes"))) {
            assertThat(entries).containsExactly(dir); // nothing left of the staging directory
        }
    }

    @Test
    void installingAgainReusesTheDirectoryAndOtherContentGetsAnother() throws Exception {
        Path shell = fakeShellRuntime("one");
        Path first = Runtimes.install(tmp.resolve("r"), shell);
        Path again = Runtimes.install(tmp.resolve("r"), shell);
        Path other = Runtimes.install(tmp.resolve("r"), fakeShellRuntime("two"));

        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
        assertThat(Files.readString(first.resolve("arrow-shell-runtime"))).isEqualTo("one");
    }

    @Test
    void concurrentInstallsAgree() throws Exception {
        Path shell = fakeShellRuntime("same");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit((Callable<Path>) () -> Runtimes.install(tmp.resolve("c"), shell)));
            }
            Path expected = results.get(0).get();
            for (Future<Path> result : results) {
                assertThat(result.get()).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> entries = Files.list(tmp.resolve("c"))) {
            assertThat(entries).hasSize(1);
        }
    }
}
