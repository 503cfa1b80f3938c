package dev.arrow.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteLibraryTest {

    @TempDir
    Path dir;

    @Test
    void extractsTheDriversLibraryIntoAPrivateDirectoryOnce() throws Exception {
        Path lib = dir.resolve("lib");

        Path library = SqliteLibrary.extract(lib).orElseThrow();

        assertThat(library).isEqualTo(lib.resolve("libsqlitejdbc.so"));
        assertThat(Files.getPosixFilePermissions(lib)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.readAllBytes(library)).isEqualTo(bundled());
        var extractedAt = Files.getLastModifiedTime(library);
        Thread.sleep(20);
        assertThat(SqliteLibrary.extract(lib)).contains(library);
        assertThat(Files.getLastModifiedTime(library)).isEqualTo(extractedAt); // not copied again
    }

    @Test
    void replacesACopyThatIsNotTheDriversOwn() throws Exception {
        Path lib = dir.resolve("lib");
        Path library = SqliteLibrary.extract(lib).orElseThrow();
        byte[] other = bundled();
        other[other.length / 2] ^= 1; // same size, other bytes: e.g. the library of another driver version
        Files.write(library, other);

        assertThat(SqliteLibrary.extract(lib)).contains(library);

        assertThat(Files.readAllBytes(library)).isEqualTo(bundled());
        try (var left = Files.list(lib)) {
            assertThat(left).containsExactly(library); // no partial copy left behind
        }
    }

    @Test
    void refusesADirectoryOthersCanWriteTo() throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThat(SqliteLibrary.extract(shared)).isEmpty();
        try (var left = Files.list(shared)) {
            assertThat(left).isEmpty();
        }
    }

    private static byte[] bundled() throws Exception {
        try (InputStream in = SqliteLibrary.class.getResourceAsStream("/org/sqlite/native/Linux/x86_64/libsqlitejdbc.so")) {
            byte[] bytes = in.readAllBytes();
            return Arrays.copyOf(bytes, bytes.length);
        }
    }
}
