package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseFilesTest {

    @Test
    void theCopyHasTheSameBytesAndKeepsTheHoles(@TempDir Path temp) throws Exception {
        Path from = temp.resolve("ram");
        try (var file = new RandomAccessFile(from.toFile(), "rw")) {
            file.setLength(64L << 20);
            file.seek(0);
            file.write("start".getBytes());
            file.seek(10L << 20);
            file.write(new byte[] {1, 2, 3});
            file.seek((64L << 20) - 1);
            file.write(7);
        }
        Path to = temp.resolve("copy");
        Files.writeString(to, "x".repeat(100)); // an old file is replaced

        SparseFiles.copy(from, to);

        assertThat(Files.size(to)).isEqualTo(64L << 20);
        assertThat(Files.mismatch(from, to)).isEqualTo(-1);
        assertThat(allocatedBytes(to)).isLessThan(8L << 20);
    }

    @Test
    void aFileOfHolesOnlyStaysEmpty(@TempDir Path temp) throws Exception {
        Path from = temp.resolve("ram");
        try (var file = new RandomAccessFile(from.toFile(), "rw")) {
            file.setLength(16L << 20);
        }
        Path to = temp.resolve("copy");

        SparseFiles.copy(from, to);

        assertThat(Files.size(to)).isEqualTo(16L << 20);
        assertThat(Files.mismatch(from, to)).isEqualTo(-1);
        assertThat(allocatedBytes(to)).isLessThan(1L << 20);
    }

    private static long allocatedBytes(Path file) throws Exception {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        String[] blocks = new String(stat.getInputStream().readAllBytes()).strip().split(" ");
        stat.waitFor();
        return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
    }
}
