package dev.arrow.state.bundles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.bundles.ArchiveFormat;
import dev.arrow.platform.bundles.BundleInfo;
import dev.arrow.runtime.bundle.BundleLimits;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileBundleStoreTest {

    /** name → content; a name ending in '*' is executable, "->" makes a symlink. */
    private static final Map<String, String> TREE = Map.of(
            "bin/run*", "#!/bin/sh\necho hi\n",
            "lib/data.txt", "data",
            "link", "->lib/data.txt");

    @TempDir
    Path tmp;
    Path bundlesDir;
    FileBundleStore store;

    @BeforeEach
    void setUp() throws IOException {
        bundlesDir = tmp.resolve("bundles");
        store = new FileBundleStore(bundlesDir, BundleLimits.DEFAULT);
    }

    @Test
    void storesATreeOnceWhateverTheFormat() throws IOException {
        BundleInfo first = store.put(new ByteArrayInputStream(tarGz(TREE)), ArchiveFormat.TAR_GZ);
        assertThat(first.created()).isTrue();
        assertThat(first.digest()).matches("sha256:[0-9a-f]{64}");
        assertThat(first.files()).isEqualTo(2);
        assertThat(first.bytes()).isEqualTo(18 + 4);

        BundleInfo again = store.put(new ByteArrayInputStream(zip(TREE)), ArchiveFormat.ZIP);
        assertThat(again).isEqualTo(new BundleInfo(first.digest(), 2, 22, false));

        Path tree = store.path(first.digest()).orElseThrow();
        assertThat(tree).isEqualTo(bundlesDir.resolve(first.digest().substring(7)));
        assertThat(tree.resolve("bin/run")).hasContent("#!/bin/sh\necho hi\n");
        assertThat(Files.readSymbolicLink(tree.resolve("link"))).isEqualTo(Path.of("lib/data.txt"));
        assertThat(store.contains(first.digest())).isTrue();
        assertThat(entries(bundlesDir)).containsExactly(tree); // no temporary directory left

        BundleInfo other = store.put(new ByteArrayInputStream(tarGz(Map.of("a", "b"))), ArchiveFormat.TAR_GZ);
        assertThat(other.created()).isTrue();
        assertThat(other.digest()).isNotEqualTo(first.digest());
    }

    @Test
    void storedTreesAreReadableButNotWritableByOthers() throws IOException {
        Path tree = store.path(store.put(new ByteArrayInputStream(tarGz(TREE)), ArchiveFormat.TAR_GZ).digest())
                .orElseThrow();
        String me = Files.getOwner(tmp).getName();
        try (Stream<Path> all = Files.walk(tree)) {
            for (Path p : all.toList()) {
                PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (attrs.isSymbolicLink()) {
                    continue;
                }
                assertThat(attrs.owner().getName()).as(p.toString()).isEqualTo(me);
                assertThat(attrs.permissions()).as(p.toString())
                        .contains(PosixFilePermission.OTHERS_READ)
                        .doesNotContain(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
                if (attrs.isDirectory() || p.endsWith("run")) {
                    assertThat(attrs.permissions()).as(p.toString()).contains(PosixFilePermission.OTHERS_EXECUTE);
                } else {
                    assertThat(attrs.permissions()).as(p.toString()).doesNotContain(PosixFilePermission.OTHERS_EXECUTE);
                }
            }
        }
    }

    @Test
    void aRefusedArchiveIsInvalidInputOnBundleAndLeavesNothing() throws IOException {
        byte[] evil = tarGz(Map.of("ok", "1", "../escape", "x"));
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(evil), ArchiveFormat.TAR_GZ))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.field()).isEqualTo("bundle"))
                .hasMessage("entry '../escape': path escapes the bundle");
        byte[] garbage = "not a zip".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(garbage), ArchiveFormat.ZIP))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not a valid .zip archive");
        assertThat(entries(bundlesDir)).isEmpty();
        assertThat(tmp.resolve("escape")).doesNotExist();
    }

    @Test
    void concurrentPutsOfOneTreeStoreItOnce() throws Exception {
        byte[] tar = tarGz(TREE);
        byte[] zip = zip(TREE);
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<BundleInfo>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                boolean useZip = i % 2 == 0;
                results.add(pool.submit(() -> {
                    start.await();
                    return useZip ? store.put(new ByteArrayInputStream(zip), ArchiveFormat.ZIP)
                            : store.put(new ByteArrayInputStream(tar), ArchiveFormat.TAR_GZ);
                }));
            }
            start.countDown();
            List<BundleInfo> infos = new ArrayList<>();
            for (Future<BundleInfo> result : results) {
                infos.add(result.get());
            }
            assertThat(infos).extracting(BundleInfo::digest).containsOnly(infos.getFirst().digest());
            assertThat(infos).filteredOn(BundleInfo::created).hasSize(1);
            Path tree = store.path(infos.getFirst().digest()).orElseThrow();
            assertThat(entries(bundlesDir)).containsExactly(tree);
            assertThat(tree.resolve("lib/data.txt")).hasContent("data");
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "sha256:", "sha256:../../../etc", "sha256:../" + "0000000000000000000000000000000000000000000000000000000000000",
        "sha256:" + "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
        "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        "sha512:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
        "sha256:.tmp-0123456789abcdef0123456789abcdef0123456789abcdef0123456789"})
    void aMalformedDigestIsRefusedBeforeTheFilesystemIsTouched(String digest) {
        assertThatThrownBy(() -> store.path(digest))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("bundle"))
                .hasMessageContaining("not a bundle digest");
        assertThatThrownBy(() -> store.contains(digest)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void aWellFormedUnknownDigestIsAbsent() throws IOException {
        // A directory outside the store that a lax check could be tricked into returning.
        Files.createDirectories(tmp.resolve("elsewhere"));
        String unknown = "sha256:" + "0123456789abcdef".repeat(4);
        assertThat(store.path(unknown)).isEmpty();
        assertThat(store.contains(unknown)).isFalse();
        assertThatThrownBy(() -> store.path(null)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void leftoversOfAnInterruptedPutAreRemovedOnOpen() throws IOException {
        BundleInfo kept = store.put(new ByteArrayInputStream(tarGz(TREE)), ArchiveFormat.TAR_GZ);
        Path half = Files.createDirectories(bundlesDir.resolve(".tmp-123/deep/er"));
        Files.writeString(half.resolve("file"), "partial");
        Files.createSymbolicLink(bundlesDir.resolve(".tmp-123/out"), tmp); // must not be followed
        Files.writeString(bundlesDir.resolve(".tmp-456.spool-789.zip"), "spooled");

        new FileBundleStore(bundlesDir, BundleLimits.DEFAULT);

        assertThat(entries(bundlesDir)).containsExactly(store.path(kept.digest()).orElseThrow());
        assertThat(tmp).isDirectory();
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        }
    }

    static byte[] tarGz(Map<String, String> tree) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
                for (Map.Entry<String, String> e : tree.entrySet()) {
                    String name = e.getKey().replace("*", "");
                    TarArchiveEntry entry;
                    byte[] content = new byte[0];
                    if (e.getValue().startsWith("->")) {
                        entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
                        entry.setLinkName(e.getValue().substring(2));
                    } else {
                        entry = new TarArchiveEntry(name, true);
                        content = e.getValue().getBytes(StandardCharsets.UTF_8);
                        entry.setSize(content.length);
                        entry.setMode(e.getKey().endsWith("*") ? 0100755 : 0100644);
                    }
                    tar.putArchiveEntry(entry);
                    tar.write(content);
                    tar.closeArchiveEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] zip(Map<String, String> tree) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
                for (Map.Entry<String, String> e : tree.entrySet()) {
                    ZipArchiveEntry entry = new ZipArchiveEntry(e.getKey().replace("*", ""));
                    String content = e.getValue();
                    if (content.startsWith("->")) {
                        entry.setUnixMode(UnixStat.LINK_FLAG | 0777);
                        content = content.substring(2);
                    } else {
                        entry.setUnixMode(UnixStat.FILE_FLAG | (e.getKey().endsWith("*") ? 0755 : 0644));
                    }
                    zip.putArchiveEntry(entry);
                    zip.write(content.getBytes(StandardCharsets.UTF_8));
                    zip.closeArchiveEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
