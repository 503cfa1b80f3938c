package dev.arrow.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundlePackerTest {

    @TempDir
    Path dir;

    private void tree(Path root) throws IOException {
        Files.createDirectories(root.resolve("lib/empty"));
        Files.writeString(root.resolve("wc.py"), "print('hi')\n");
        Files.writeString(root.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(root.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.setPosixFilePermissions(root.resolve("wc.py"), PosixFilePermissions.fromString("rw-------"));
        Files.writeString(root.resolve("lib/util.py"), "x = 1\n");
        Files.createSymbolicLink(root.resolve("link.py"), Path.of("wc.py"));
        Files.createSymbolicLink(root.resolve("lib/outside"), Path.of("/etc/passwd"));
        Files.writeString(root.resolve("lib/" + "long-name-".repeat(12) + "ü.txt"), "long\n");
    }

    private static byte[] pack(Path root) throws IOException {
        var out = new ByteArrayOutputStream();
        BundlePacker.pack(root, out);
        return out.toByteArray();
    }

    @Test
    void theSameTreeGivesTheSameBytes() throws IOException {
        Path a = Files.createDirectory(dir.resolve("a"));
        tree(a);
        byte[] first = pack(a);
        // The same tree elsewhere, made later, with other times.
        Path b = Files.createDirectory(dir.resolve("b"));
        tree(b);
        Files.setLastModifiedTime(b.resolve("wc.py"), FileTime.fromMillis(123_456_789));

        assertThat(pack(b)).isEqualTo(first);
        assertThat(pack(a)).isEqualTo(first);
    }

    record Entry(String name, int mode, String link, long time, long uid, String user, String content) {
    }

    private static List<Entry> entries(byte[] tarGz) throws IOException {
        var entries = new ArrayList<Entry>();
        try (var tar = new TarArchiveInputStream(new GzipCompressorInputStream(new ByteArrayInputStream(tarGz)))) {
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                entries.add(new Entry(entry.getName(), entry.getMode() & 07777, entry.getLinkName(),
                        entry.getModTime().getTime(), entry.getLongUserId() + entry.getLongGroupId(), entry.getUserName(),
                        entry.isFile() && !entry.isSymbolicLink() ? new String(tar.readAllBytes(), StandardCharsets.UTF_8) : null));
            }
        }
        return entries;
    }

    @Test
    void entriesAreSortedWithNormalizedModesOwnersAndTimes() throws IOException {
        tree(dir);
        List<Entry> entries = entries(pack(dir));

        assertThat(entries).extracting(Entry::name).containsExactly(
                "lib/", "lib/empty/", "lib/" + "long-name-".repeat(12) + "ü.txt", "lib/outside", "lib/util.py",
                "link.py", "run.sh", "wc.py");
        assertThat(entries).allSatisfy(entry -> {
            assertThat(entry.time()).isZero();
            assertThat(entry.uid()).isZero();
            assertThat(entry.user()).isEmpty();
        });
        assertThat(entries).filteredOn(entry -> entry.name().equals("run.sh")).singleElement()
                .satisfies(entry -> assertThat(entry.mode()).isEqualTo(0755));
        assertThat(entries).filteredOn(entry -> entry.name().equals("wc.py")).singleElement()
                .satisfies(entry -> {
                    assertThat(entry.mode()).isEqualTo(0644);
                    assertThat(entry.content()).isEqualTo("print('hi')\n");
                });
        assertThat(entries).filteredOn(entry -> entry.name().equals("lib/")).singleElement()
                .satisfies(entry -> assertThat(entry.mode()).isEqualTo(0755));
    }

    @Test
    void symlinksStaySymlinksWithTheirTargetAsWritten() throws IOException {
        tree(dir);
        List<Entry> entries = entries(pack(dir));

        assertThat(entries).filteredOn(entry -> entry.name().equals("link.py")).singleElement()
                .satisfies(entry -> {
                    assertThat(entry.link()).isEqualTo("wc.py");
                    assertThat(entry.content()).isNull();
                });
        assertThat(entries).filteredOn(entry -> entry.name().equals("lib/outside")).singleElement()
                .satisfies(entry -> assertThat(entry.link()).isEqualTo("/etc/passwd"));
    }

    @Test
    void countsRegularFiles() throws IOException {
        tree(dir);
        BundlePacker.Packed packed = BundlePacker.pack(dir, new ByteArrayOutputStream());
        assertThat(packed.files()).isEqualTo(4);
        assertThat(packed.bytes()).isEqualTo(12 + 10 + 6 + 5);
    }
}
