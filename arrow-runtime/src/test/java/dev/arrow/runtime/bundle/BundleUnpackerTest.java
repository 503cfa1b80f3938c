package dev.arrow.runtime.bundle;

import static dev.arrow.runtime.bundle.TestArchives.archive;
import static dev.arrow.runtime.bundle.TestArchives.dir;
import static dev.arrow.runtime.bundle.TestArchives.executable;
import static dev.arrow.runtime.bundle.TestArchives.file;
import static dev.arrow.runtime.bundle.TestArchives.hardLink;
import static dev.arrow.runtime.bundle.TestArchives.special;
import static dev.arrow.runtime.bundle.TestArchives.symlink;
import static dev.arrow.runtime.bundle.TestArchives.tarGz;
import static dev.arrow.runtime.bundle.TestArchives.zeros;
import static dev.arrow.runtime.bundle.TestArchives.zip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.runtime.bundle.BundleUnpacker.Format;
import dev.arrow.runtime.bundle.TestArchives.Entry;
import dev.arrow.runtime.bundle.TestArchives.Type;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BundleUnpackerTest {

    private static final long MIB = 1024 * 1024;

    @TempDir
    Path tmp;
    Path target;
    Path outside;

    @BeforeEach
    void setUp() throws IOException {
        target = tmp.resolve("tree");
        outside = Files.createDirectory(tmp.resolve("outside"));
    }

    // ---- happy paths ----

    @ParameterizedTest
    @EnumSource(Format.class)
    void unpacksNestedDirectoriesExecBitsAndInTreeSymlinks(Format format) throws Exception {
        UnpackedBundle bundle = unpack(archive(format,
                dir("app/"),
                executable("app/bin/run", "#!/bin/sh\necho hi\n"),
                file("app/lib/data.txt", "data"),
                file("README", "read me"),
                symlink("app/current", "lib/data.txt"),
                symlink("app/bin/up", "../lib"),
                dir("empty/")), format);

        assertThat(bundle).isEqualTo(new UnpackedBundle(3, 18 + 4 + 7));
        assertThat(target.resolve("app/bin/run")).hasContent("#!/bin/sh\necho hi\n");
        assertThat(target.resolve("app/lib/data.txt")).hasContent("data");
        assertThat(Files.readSymbolicLink(target.resolve("app/current"))).isEqualTo(Path.of("lib/data.txt"));
        assertThat(target.resolve("app/bin/up/data.txt")).hasContent("data");
        assertThat(target.resolve("empty")).isEmptyDirectory();
        assertThat(mode(target)).isEqualTo("rwxr-xr-x");
        assertThat(mode(target.resolve("app/bin"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(target.resolve("empty"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(target.resolve("app/bin/run"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(target.resolve("app/lib/data.txt"))).isEqualTo("rw-r--r--");
        for (Path p : List.of(target, target.resolve("app"), target.resolve("app/bin/run"), target.resolve("README"))) {
            assertThat(Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS)).isEqualTo(FileTime.fromMillis(0));
        }
        assertThat(tmp).isDirectoryNotContaining(p -> p.getFileName().toString().contains("spool"));
    }

    @Test
    void aTarWithDotSlashNamesAndARootEntryUnpacks() throws Exception {
        unpack(tarGz(dir("./"), dir("./src/"), file("./src/main.py", "print()")), Format.TAR_GZ);
        assertThat(target.resolve("src/main.py")).hasContent("print()");
    }

    @Test
    void aHardLinkToAnEarlierFileBecomesACopy() throws Exception {
        UnpackedBundle bundle = unpack(tarGz(executable("bin/tool", "x"), hardLink("bin/alias", "bin/tool")),
                Format.TAR_GZ);
        assertThat(bundle).isEqualTo(new UnpackedBundle(2, 2));
        assertThat(target.resolve("bin/alias")).hasContent("x");
        assertThat(mode(target.resolve("bin/alias"))).isEqualTo("rwxr-xr-x");
        assertThat(Files.isSameFile(target.resolve("bin/alias"), target.resolve("bin/tool"))).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void setuidSetgidAndStickyBitsAreStrippedAndWriteBitsNormalized(Format format) throws Exception {
        unpack(archive(format,
                dir("shared/", 01777),
                file("shared/su", "x".getBytes(StandardCharsets.UTF_8), 06777),
                file("shared/plain", "y".getBytes(StandardCharsets.UTF_8), 0666),
                file("shared/only-group-exec", "z".getBytes(StandardCharsets.UTF_8), 0610)), format);
        assertThat(Files.getAttribute(target.resolve("shared/su"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.getAttribute(target.resolve("shared"), "unix:mode")).isEqualTo(040755);
        assertThat(Files.getAttribute(target.resolve("shared/plain"), "unix:mode")).isEqualTo(0100644);
        assertThat(Files.getAttribute(target.resolve("shared/only-group-exec"), "unix:mode")).isEqualTo(0100755);
    }

    @Test
    void theSameTreeFromZipAndTarGzHasTheSameDigest() throws Exception {
        // Different entry order, explicit vs implied directories, random owners and mtimes.
        byte[] tar = tarGz(dir("a/"), file("a/one", "1"), executable("a/b/two", "2"), symlink("l", "a/one"),
                dir("e/"));
        byte[] zip = zip(dir("e/"), symlink("l", "a/one"), executable("a/b/two", "2"), file("a/one", "1"));
        String fromTar = TreeDigest.of(unpackInto(tar, Format.TAR_GZ, tmp.resolve("t")));
        String fromZip = TreeDigest.of(unpackInto(zip, Format.ZIP, tmp.resolve("z")));
        assertThat(fromTar).matches("sha256:[0-9a-f]{64}").isEqualTo(fromZip);
    }

    @Test
    void differentContentGivesADifferentDigest() throws Exception {
        String base = TreeDigest.of(unpackInto(tarGz(file("a", "1")), Format.TAR_GZ, tmp.resolve("1")));
        String content = TreeDigest.of(unpackInto(tarGz(file("a", "2")), Format.TAR_GZ, tmp.resolve("2")));
        String exec = TreeDigest.of(unpackInto(tarGz(executable("a", "1")), Format.TAR_GZ, tmp.resolve("3")));
        String name = TreeDigest.of(unpackInto(tarGz(file("b", "1")), Format.TAR_GZ, tmp.resolve("4")));
        assertThat(List.of(content, exec, name)).doesNotContain(base).doesNotHaveDuplicates();
    }

    // ---- paths ----

    @ParameterizedTest
    @EnumSource(Format.class)
    void traversalIsRefused(Format format) {
        assertRefused(archive(format, file("ok", "1"), file("../x", "evil")), format,
                "entry '../x': path escapes the bundle");
        assertRefused(archive(format, file("a/../../x", "evil")), format, "entry 'a/../../x': path escapes the bundle");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void anAbsolutePathIsRefused(Format format) {
        assertRefused(archive(format, file(outside.resolve("x").toString(), "evil")), format, "path is absolute");
        assertThat(outside).isEmptyDirectory();
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aNulInANameIsRefused(Format format) {
        // In a tar, a short name is cut at NUL by the header format; a long one goes in a PAX record.
        String name = "a".repeat(120) + "\0.txt";
        byte[] bytes = archive(format, file(name, "x"));
        assertRefused(bytes, format, "path contains a NUL character");
    }

    @Test
    void aBackslashInANameIsRefused() {
        assertRefused(tarGz(file("..\\..\\x", "evil")), Format.TAR_GZ, "entry '..\\..\\x': path contains a backslash");
        // commons-compress turns the backslashes of a DOS-made zip into slashes: refused all the same.
        assertRefused(zip(file("..\\..\\x", "evil")), Format.ZIP, "path escapes the bundle");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aTooLongPathIsRefused(Format format) {
        String component = "d".repeat(200);
        String path = String.join("/", java.util.Collections.nCopies(21, component)); // 4220 bytes
        assertRefused(archive(format, file(path, "x")), format, "is longer than 4096 bytes");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aTooLongNameIsRefused(Format format) {
        assertRefused(archive(format, file("n".repeat(256), "x")), format, "name longer than 255 bytes");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aTooDeepPathIsRefused(Format format) {
        String deep = "d/".repeat(64) + "f";
        assertRefused(archive(format, file(deep, "x")), format, "is deeper than 64 levels");
        unpack(archive(format, file("d/".repeat(63) + "f", "x")), format); // 64 levels is fine
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aDuplicateEntryIsRefused(Format format) {
        assertRefused(archive(format, file("a", "first"), file("a", "second")), format, "entry 'a': duplicate entry");
        assertRefused(archive(format, file("a/b", "first"), file("./a//b", "second")), format,
                "entry './a//b': duplicate entry");
        assertRefused(archive(format, dir("d/"), dir("d/")), format, "entry 'd/': duplicate entry");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void anEntryBelowAFileIsRefused(Format format) {
        assertRefused(archive(format, file("a", "1"), file("a/b", "2")), format,
                "entry 'a/b': path goes through 'a', which is a file");
    }

    // ---- links ----

    @ParameterizedTest
    @EnumSource(Format.class)
    void aSymlinkToAnAbsolutePathIsRefused(Format format) {
        assertRefused(archive(format, symlink("etc", "/etc")), format,
                "entry 'etc': symlink target '/etc' is absolute");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aSymlinkOutOfTheTreeIsRefused(Format format) {
        assertRefused(archive(format, symlink("up", "../..")), format,
                "entry 'up': symlink target '../..' points outside the bundle");
        assertRefused(archive(format, symlink("a/b/up", "../../../x")), format, "points outside the bundle");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aSymlinkOutOfTheTreeThroughAnotherSymlinkIsRefused(Format format) {
        // Lexically both stay inside; followed, d/l is the root and m is its parent.
        assertRefused(archive(format, symlink("d/l", ".."), symlink("m", "d/l/..")), format,
                "entry 'm': symlink target 'd/l/..' leads outside the bundle through other links");
        // The same with the links in the other order.
        assertRefused(archive(format, symlink("m", "d/l/.."), symlink("d/l", "..")), format,
                "leads outside the bundle through other links");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aSymlinkLoopIsRefused(Format format) {
        assertRefused(archive(format, symlink("a", "b"), symlink("b", "a")), format, "symlink is part of a loop");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void nothingIsWrittenThroughASymlink(Format format) {
        // Out of the tree: the link itself is refused before anything can use it.
        assertRefused(archive(format, symlink("a", outside.toString()), file("a/evil", "x")), format,
                "entry 'a': symlink target '" + outside + "' is absolute");
        assertThat(outside).isEmptyDirectory();
        // Inside the tree, a link is fine, but not as a way to write.
        assertRefused(archive(format, dir("real/"), symlink("a", "real"), file("a/evil", "x")), format,
                "entry 'a/evil': path goes through symlink 'a'; nothing may be written through a link");
        // Nor may an entry replace the link.
        assertRefused(archive(format, symlink("a", "real"), dir("a/")), format, "entry 'a/': duplicate entry");
    }

    @Test
    void hardLinksOutOfTheTreeAreRefused() {
        assertRefused(tarGz(hardLink("passwd", "/etc/passwd")), Format.TAR_GZ,
                "entry 'passwd': hard link target '/etc/passwd' is not inside the bundle");
        assertRefused(tarGz(hardLink("passwd", "../../etc/passwd")), Format.TAR_GZ, "is not inside the bundle");
    }

    @Test
    void hardLinksToAnythingButAnEarlierFileAreRefused() {
        assertRefused(tarGz(hardLink("h", "later"), file("later", "x")), Format.TAR_GZ,
                "entry 'h': hard link target 'later' is not an earlier regular file of the bundle");
        assertRefused(tarGz(dir("d/"), hardLink("h", "d")), Format.TAR_GZ, "is not an earlier regular file");
        assertRefused(tarGz(file("f", "x"), symlink("s", "f"), hardLink("h", "s")), Format.TAR_GZ,
                "is not an earlier regular file");
    }

    // ---- special files ----

    @ParameterizedTest
    @EnumSource(Format.class)
    void devicesAndFifosAreRefused(Format format) {
        assertRefused(archive(format, special(Type.CHAR_DEVICE, "null")), format,
                "entry 'null': character devices are not allowed");
        assertRefused(archive(format, special(Type.BLOCK_DEVICE, "sda")), format,
                "entry 'sda': block devices are not allowed");
        assertRefused(archive(format, special(Type.FIFO, "pipe")), format, "entry 'pipe': FIFOs are not allowed");
    }

    @Test
    void aSocketIsRefused() {
        assertRefused(zip(special(Type.SOCKET, "sock")), Format.ZIP, "entry 'sock': sockets are not allowed");
    }

    // ---- caps ----

    @ParameterizedTest
    @EnumSource(Format.class)
    void tooManyEntriesAreRefused(Format format) {
        BundleLimits five = limits(1 << 20, 1 << 20, 5);
        unpack(archive(format, file("1", ""), file("2", ""), file("3", ""), file("4", ""), file("5", "")), format,
                five);
        deleteTree(target);
        assertRefused(archive(format, file("1", ""), file("2", ""), file("3", ""), file("4", ""), file("5", ""),
                file("6", "")), format, five, "entry '6': too many entries: a bundle may hold at most 5");
        // Directories count too, also implied ones: they cost inodes all the same.
        assertRefused(archive(format, file("a/b/c/d/e/f", "")), format, five, "too many entries");
    }

    @Test
    void aGzipBombStopsEarly() {
        byte[] bomb = tarGz(zeros("bomb", 64 * MIB));
        assertThat(bomb.length).isLessThan(200 * 1024);
        CountingStream in = new CountingStream(new ByteArrayInputStream(bomb));
        assertThatThrownBy(() -> BundleUnpacker.unpack(in, Format.TAR_GZ, target, limits(1 << 30, MIB, 100)))
                .isInstanceOf(BundleException.class)
                .hasMessage("entry 'bomb': the bundle unpacks to more than 1 MiB");
        assertThat(in.count).as("packed bytes read before giving up").isLessThan(bomb.length / 4);
        assertThat(target).doesNotExist();
    }

    @Test
    void dataThatIsNeverWrittenCountsAgainstTheTarCapToo() {
        // A symlink entry carrying 64 MiB: the tar reader skips the data, decompressing it all the same.
        byte[] bomb = tarGz(new Entry(Type.SYMLINK, "s", new byte[0], 64 * MIB, 0777, "f"), file("f", "x"));
        CountingStream in = new CountingStream(new ByteArrayInputStream(bomb));
        assertThatThrownBy(() -> BundleUnpacker.unpack(in, Format.TAR_GZ, target, limits(1 << 30, MIB, 10)))
                .isInstanceOf(BundleException.class)
                .hasMessage("the bundle unpacks to more than 1 MiB");
        assertThat(in.count).isLessThan(bomb.length / 4);
        assertThat(target).doesNotExist();
    }

    @Test
    void aZipBombStopsAtTheCap() {
        byte[] bomb = zip(zeros("bomb", 64 * MIB));
        assertThat(bomb.length).isLessThan(200 * 1024);
        assertRefused(bomb, Format.ZIP, limits(1 << 30, MIB, 100), "entry 'bomb': the bundle unpacks to more than 1 MiB");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void theUnpackedSizeIsSummedOverFiles(Format format) {
        assertRefused(archive(format, zeros("a", 600 * 1024), zeros("b", 600 * 1024)), format,
                limits(1 << 30, MIB, 100), "entry 'b': the bundle unpacks to more than 1 MiB");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void anArchiveOverThePackedCapIsRefusedWithoutReadingItAll(Format format) {
        byte[] noise = new byte[256 * 1024];
        new Random(1).nextBytes(noise);
        byte[] big = archive(format, file("noise", noise, 0644));
        CountingStream in = new CountingStream(new ByteArrayInputStream(big));
        assertThatThrownBy(() -> BundleUnpacker.unpack(in, format, target, limits(64 * 1024, 1 << 30, 100)))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("the archive is larger than 65536 bytes");
        assertThat(in.count).isLessThanOrEqualTo(64 * 1024 + 64 * 1024);
        assertThat(target).doesNotExist();
        assertThat(tmp).isDirectoryNotContaining(p -> p.getFileName().toString().contains("spool"));
    }

    // ---- not archives ----

    @ParameterizedTest
    @EnumSource(Format.class)
    void garbageIsRefused(Format format) {
        byte[] garbage = "this is not an archive, just some text".repeat(100).getBytes(StandardCharsets.UTF_8);
        assertRefused(garbage, format, format == Format.ZIP ? "not a valid .zip archive" : "not a valid .tar.gz archive");
        assertRefused(new byte[0], format, "not a valid");
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aTruncatedArchiveIsRefused(Format format) {
        byte[] noise = new byte[64 * 1024];
        new Random(2).nextBytes(noise);
        byte[] whole = archive(format, file("a", "1"), file("noise", noise, 0644), file("z", "2"));
        for (int keep : new int[] {whole.length / 3, whole.length / 2, whole.length - 10}) {
            assertRefused(Arrays.copyOf(whole, keep), format, "(damaged or truncated?)");
        }
    }

    @Test
    void aDamagedZipEntryIsRefused() {
        byte[] whole = zip(file("a", "some content that is stored deflated, some content"));
        byte[] damaged = whole.clone();
        damaged[40] ^= 0x55; // inside the compressed data of the only entry
        assertThatThrownBy(() -> BundleUnpacker.unpack(new ByteArrayInputStream(damaged), Format.ZIP, target,
                BundleLimits.DEFAULT)).isInstanceOf(BundleException.class).hasMessageContaining("entry 'a'");
        assertThat(target).doesNotExist();
    }

    @Test
    void theTargetMustBeEmpty() throws IOException {
        Files.createDirectories(target.resolve("x"));
        assertThatThrownBy(() -> unpack(tarGz(file("a", "1")), Format.TAR_GZ))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(target.resolve("x")).isDirectory();
    }

    // ---- helpers ----

    private static BundleLimits limits(long packed, long unpacked, int files) {
        return new BundleLimits(packed, unpacked, files, 4096, 64);
    }

    private UnpackedBundle unpack(byte[] archive, Format format) {
        return unpack(archive, format, BundleLimits.DEFAULT);
    }

    private UnpackedBundle unpack(byte[] archive, Format format, BundleLimits limits) {
        try {
            return BundleUnpacker.unpack(new ByteArrayInputStream(archive), format, target, limits);
        } catch (BundleException | IOException e) {
            throw new AssertionError("expected to unpack: " + e.getMessage(), e);
        }
    }

    private static Path unpackInto(byte[] archive, Format format, Path dir) throws Exception {
        BundleUnpacker.unpack(new ByteArrayInputStream(archive), format, dir, BundleLimits.DEFAULT);
        return dir;
    }

    private void assertRefused(byte[] archive, Format format, String message) {
        assertRefused(archive, format, BundleLimits.DEFAULT, message);
    }

    private void assertRefused(byte[] archive, Format format, BundleLimits limits, String message) {
        assertThatThrownBy(() -> BundleUnpacker.unpack(new ByteArrayInputStream(archive), format, target, limits))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining(message);
        assertThat(target).as("nothing left behind").doesNotExist();
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).as("only the test's own directories").allMatch(p -> p.equals(outside));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(outside).isEmptyDirectory();
    }

    private static void deleteTree(Path p) {
        try {
            BundleUnpacker.deleteTree(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b >= 0 ? 1 : 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }
}
