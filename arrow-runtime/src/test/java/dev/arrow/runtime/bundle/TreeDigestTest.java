package dev.arrow.runtime.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreeDigestTest {

    @TempDir
    Path tmp;

    @Test
    void creationOrderAndTimesDoNotCountButEverythingElseDoes() throws IOException {
        Path a = tree("a", false, "target", 0);
        Path b = Files.createDirectory(tmp.resolve("b"));
        Files.createSymbolicLink(b.resolve("link"), Path.of("target"));
        Files.createDirectories(b.resolve("dir/sub"));
        Files.writeString(b.resolve("dir/file"), "content");
        Files.setLastModifiedTime(b.resolve("dir/file"), FileTime.fromMillis(123_456_789));
        assertThat(TreeDigest.of(b)).isEqualTo(TreeDigest.of(a));

        assertThat(TreeDigest.of(tree("exec", true, "target", 0))).isNotEqualTo(TreeDigest.of(a));
        assertThat(TreeDigest.of(tree("link", false, "elsewhere", 0))).isNotEqualTo(TreeDigest.of(a));
        Path extraDir = tree("extra", false, "target", 0);
        Files.createDirectory(extraDir.resolve("empty"));
        assertThat(TreeDigest.of(extraDir)).isNotEqualTo(TreeDigest.of(a));
    }

    @Test
    void fileBoundariesAreUnambiguous() throws IOException {
        Path one = Files.createDirectory(tmp.resolve("one"));
        Files.writeString(one.resolve("ab"), "c");
        Path two = Files.createDirectory(tmp.resolve("two"));
        Files.writeString(two.resolve("a"), "bc");
        assertThat(TreeDigest.of(one)).isNotEqualTo(TreeDigest.of(two));
    }

    private Path tree(String name, boolean exec, String linkTarget, long mtime) throws IOException {
        Path root = Files.createDirectory(tmp.resolve(name));
        Files.createDirectories(root.resolve("dir/sub"));
        Path file = Files.writeString(root.resolve("dir/file"), "content");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(exec ? "rwxr-xr-x" : "rw-r--r--"));
        Files.setLastModifiedTime(file, FileTime.fromMillis(mtime));
        Files.createSymbolicLink(root.resolve("link"), Path.of(linkTarget));
        return root;
    }
}
