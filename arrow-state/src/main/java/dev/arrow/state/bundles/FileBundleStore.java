package dev.arrow.state.bundles;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.bundles.ArchiveFormat;
import dev.arrow.platform.bundles.BundleInfo;
import dev.arrow.platform.bundles.BundleStore;
import dev.arrow.runtime.bundle.BundleException;
import dev.arrow.runtime.bundle.BundleLimits;
import dev.arrow.runtime.bundle.BundleUnpacker;
import dev.arrow.runtime.bundle.TreeDigest;
import dev.arrow.runtime.bundle.UnpackedBundle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Bundles as directories: {@code <bundlesDir>/<64 hex>} holds the tree whose digest is
 * {@code sha256:<64 hex>}. A put unpacks into a fresh {@code .tmp-*} directory beside them (same
 * filesystem), computes the digest, flushes the tree to disk and renames it into place, or drops it
 * when that tree is stored already. Leftover {@code .tmp-*} entries (a crash mid-put) are removed
 * when the store is opened.
 *
 * <p>Stored trees belong to the node's user (root) with directories 0755 and files 0644/0755, so a
 * sandboxed program (uid 65534) can read and run them but not change them.
 */
public final class FileBundleStore implements BundleStore {

    private static final String TEMP_PREFIX = ".tmp-";
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final int LOCK_STRIPES = 64;

    private final Path bundlesDir;
    private final BundleLimits limits;
    /** Puts of one tree in this process are serialized, so exactly one of them says created. */
    private final Object[] locks = new Object[LOCK_STRIPES];

    public FileBundleStore(Path bundlesDir, BundleLimits limits) throws IOException {
        this.bundlesDir = Objects.requireNonNull(bundlesDir, "bundlesDir");
        this.limits = Objects.requireNonNull(limits, "limits");
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        Files.createDirectories(bundlesDir);
        Files.setPosixFilePermissions(bundlesDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        removeLeftovers();
    }

    @Override
    public BundleInfo put(InputStream archive, ArchiveFormat format) throws IOException {
        Objects.requireNonNull(archive, "archive");
        Objects.requireNonNull(format, "format");
        Path temp = Files.createTempDirectory(bundlesDir, TEMP_PREFIX); // 0700 until unpacked
        try {
            UnpackedBundle unpacked;
            try {
                unpacked = BundleUnpacker.unpack(archive, runtimeFormat(format), temp, limits);
            } catch (BundleException e) {
                throw new InvalidInputException("bundle", e.getMessage());
            }
            String digest = TreeDigest.of(temp);
            String hex = digest.substring("sha256:".length());
            Path stored = bundlesDir.resolve(hex);
            syncTree(temp);
            synchronized (locks[Math.floorMod(hex.hashCode(), LOCK_STRIPES)]) {
                boolean created = !Files.exists(stored, LinkOption.NOFOLLOW_LINKS) && moveIntoPlace(temp, stored);
                if (created) {
                    syncDirectory(bundlesDir);
                }
                return new BundleInfo(digest, unpacked.files(), unpacked.bytes(), created);
            }
        } finally {
            BundleUnpacker.deleteTree(temp); // gone already when moved into place
        }
    }

    @Override
    public Optional<Path> path(String digest) {
        Path dir = bundlesDir.resolve(hex(digest));
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? Optional.of(dir) : Optional.empty();
    }

    @Override
    public boolean contains(String digest) {
        return path(digest).isPresent();
    }

    /**
     * The hex part of a well-formed digest; checked before any path is built from it.
     *
     * @throws InvalidInputException on field {@code bundle} for anything but sha256: and 64 lowercase hex
     */
    static String hex(String digest) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new InvalidInputException("bundle",
                    "not a bundle digest: expected 'sha256:' followed by 64 lowercase hex digits");
        }
        return digest.substring("sha256:".length());
    }

    /** Renames; false when another process stored the same tree in the meantime. */
    private static boolean moveIntoPlace(Path temp, Path stored) throws IOException {
        try {
            Files.move(temp, stored, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (FileSystemException e) {
            // rename(2) onto a non-empty directory: ENOTEMPTY or EEXIST, which the JDK does not
            // always map to FileAlreadyExistsException.
            if (Files.isDirectory(stored, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            throw e;
        }
    }

    private static BundleUnpacker.Format runtimeFormat(ArchiveFormat format) {
        return switch (format) {
            case TAR_GZ -> BundleUnpacker.Format.TAR_GZ;
            case ZIP -> BundleUnpacker.Format.ZIP;
        };
    }

    private void removeLeftovers() throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(bundlesDir, TEMP_PREFIX + "*")) {
            for (Path leftover : leftovers) {
                BundleUnpacker.deleteTree(leftover);
            }
        }
    }

    /** fsync every file and directory: a tree is named by its content only once that is on disk. */
    private static void syncTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
                            LinkOption.NOFOLLOW_LINKS)) {
                        channel.force(true);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                syncDirectory(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
