package dev.arrow.runtime.bundle;

import dev.arrow.runtime.bundle.LimitedInputStream.LimitExceededException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Enumeration;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Unpacks an untrusted bundle archive (.tar.gz or .zip) into an empty directory, or refuses it with
 * a {@link BundleException} that says which entry is at fault and why, leaving nothing behind.
 *
 * <p>A .tar.gz is read as a stream. A .zip is first spooled to a temporary file next to the target
 * directory (so on the same filesystem, and removed with it) and read with {@link ZipFile}: the
 * central directory is the authoritative list of entries, and it alone holds the Unix modes (exec
 * bits, symlinks, device files) — a streaming reader sees only local headers, which carry no modes
 * and cannot be trusted to agree with the central directory, and it cannot read stored entries
 * with data descriptors. See {@link Extraction} for the rules applied to entries.
 */
public final class BundleUnpacker {

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ALL =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");

    /** The archive formats the runtime reads. */
    public enum Format { TAR_GZ, ZIP }

    /** Allowance for tar headers, PAX records and padding on top of the file data, per entry. */
    private static final long TAR_OVERHEAD_PER_ENTRY = 4096;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFIFO = 0010000;

    private BundleUnpacker() {
    }

    /**
     * @param archive        the uploaded bytes; read at most up to the packed cap, not closed
     * @param emptyTargetDir an empty directory, or a path whose parent exists; removed on failure
     * @throws BundleException the archive is refused (user error)
     * @throws IOException     writing the tree failed (server error)
     */
    public static UnpackedBundle unpack(InputStream archive, Format format, Path emptyTargetDir, BundleLimits limits)
            throws BundleException, IOException {
        if (Files.isDirectory(emptyTargetDir, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(emptyTargetDir)) {
                if (children.iterator().hasNext()) {
                    throw new IllegalArgumentException("not an empty directory: " + emptyTargetDir);
                }
            }
        } else {
            Files.createDirectory(emptyTargetDir);
        }
        boolean done = false;
        try {
            Extraction extraction = new Extraction(emptyTargetDir, limits);
            LimitedInputStream packed = new LimitedInputStream(archive, limits.maxPackedBytes(),
                    "the archive is larger than " + BundleLimits.describe(limits.maxPackedBytes()));
            switch (format) {
                case TAR_GZ -> readTarGz(packed, extraction, limits);
                case ZIP -> readZip(packed, extraction, emptyTargetDir, limits);
            }
            UnpackedBundle result = extraction.finish();
            done = true;
            return result;
        } finally {
            if (!done) {
                deleteTree(emptyTargetDir);
            }
        }
    }

    private static void readTarGz(LimitedInputStream packed, Extraction extraction, BundleLimits limits)
            throws BundleException, IOException {
        String what = "not a valid .tar.gz archive";
        // Also a cap on the decompressed stream: headers and skipped data cost CPU even unwritten.
        long tarCap = limits.maxUnpackedBytes() + (limits.maxFiles() + 16L) * TAR_OVERHEAD_PER_ENTRY;
        TarArchiveInputStream tar;
        LimitedInputStream decompressed;
        try {
            GzipCompressorInputStream gzip = GzipCompressorInputStream.builder()
                    .setInputStream(packed).setDecompressConcatenated(true).get();
            decompressed = new LimitedInputStream(gzip, tarCap,
                    "the bundle unpacks to more than " + BundleLimits.describe(limits.maxUnpackedBytes()));
            tar = new TarArchiveInputStream(decompressed, StandardCharsets.UTF_8.name());
        } catch (IOException e) {
            throw readError(null, what, e);
        }
        while (true) {
            TarArchiveEntry entry;
            try {
                entry = tar.getNextEntry();
            } catch (IOException e) {
                throw readError(null, what, e);
            }
            if (entry == null) {
                break;
            }
            String name = entry.getName();
            if (entry.isGlobalPaxHeader()) {
                continue;
            } else if (entry.isSymbolicLink()) {
                extraction.symlink(name, entry.getLinkName());
            } else if (entry.isLink()) {
                extraction.hardLink(name, entry.getLinkName());
            } else if (entry.isCharacterDevice()) {
                throw refused(name, "character devices are not allowed");
            } else if (entry.isBlockDevice()) {
                throw refused(name, "block devices are not allowed");
            } else if (entry.isFIFO()) {
                throw refused(name, "FIFOs are not allowed");
            } else if (entry.isDirectory()) {
                extraction.directory(name);
            } else if (entry.isFile()) {
                extraction.file(name, (entry.getMode() & 0111) != 0, tar, (n, e) -> readError(n, what, e));
            } else {
                throw refused(name, "unsupported entry type");
            }
        }
        // Read to the end so that the gzip trailer (CRC and length) is checked: a damaged archive is
        // refused rather than half-trusted. Bounded by the caps.
        try {
            byte[] rest = new byte[8192];
            while (decompressed.read(rest) >= 0) {
                // drain
            }
        } catch (IOException e) {
            throw readError(null, what, e);
        }
    }

    private static void readZip(LimitedInputStream packed, Extraction extraction, Path target, BundleLimits limits)
            throws BundleException, IOException {
        String what = "not a valid .zip archive";
        Path parent = target.toAbsolutePath().getParent();
        Path spool = Files.createTempFile(parent, target.getFileName() + ".spool-", ".zip");
        try {
            try (OutputStream out = Files.newOutputStream(spool)) {
                try {
                    packed.transferTo(out);
                } catch (LimitExceededException e) {
                    throw new BundleException(e.getMessage());
                }
            }
            ZipFile zip;
            try {
                zip = ZipFile.builder().setPath(spool).setCharset(StandardCharsets.UTF_8)
                        .setUseUnicodeExtraFields(true).get();
            } catch (IOException e) {
                throw readError(null, what, e);
            }
            try (zip) {
                Enumeration<ZipArchiveEntry> entries = zip.getEntries(); // central directory order
                while (entries.hasMoreElements()) {
                    readZipEntry(zip, entries.nextElement(), extraction, what, limits);
                }
            }
        } finally {
            Files.deleteIfExists(spool);
        }
    }

    private static void readZipEntry(ZipFile zip, ZipArchiveEntry entry, Extraction extraction, String what,
                                     BundleLimits limits)
            throws BundleException, IOException {
        String name = entry.getName();
        int mode = entry.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX ? entry.getUnixMode() : 0;
        int type = mode & S_IFMT;
        boolean directory = entry.isDirectory() || type == S_IFDIR;
        switch (type) {
            case S_IFCHR -> throw refused(name, "character devices are not allowed");
            case S_IFBLK -> throw refused(name, "block devices are not allowed");
            case S_IFIFO -> throw refused(name, "FIFOs are not allowed");
            case S_IFSOCK -> throw refused(name, "sockets are not allowed");
            case 0, S_IFREG, S_IFDIR, S_IFLNK -> { }
            default -> throw refused(name, "unsupported entry type");
        }
        if (directory) {
            if (type == S_IFLNK || type == S_IFREG) {
                throw refused(name, "a directory name on an entry that is not a directory");
            }
            extraction.directory(name);
            return;
        }
        if (!zip.canReadEntryData(entry)) {
            throw refused(name, "encrypted or compressed with an unsupported method");
        }
        try (InputStream raw = openZipEntry(zip, entry, name, what);
             CheckedInputStream data = new CheckedInputStream(raw, new CRC32())) {
            if (type == S_IFLNK) {
                byte[] target;
                try {
                    target = data.readNBytes(limits.maxPathLength() + 1);
                } catch (IOException e) {
                    throw readError(name, what, e);
                }
                if (target.length > limits.maxPathLength()) {
                    throw refused(name, "symlink target is longer than " + limits.maxPathLength() + " bytes");
                }
                checkCrc(entry, data, name);
                extraction.symlink(name, new String(target, StandardCharsets.UTF_8));
            } else {
                extraction.file(name, (mode & 0111) != 0, data, (n, e) -> readError(n, what, e));
                checkCrc(entry, data, name);
            }
        }
    }

    private static InputStream openZipEntry(ZipFile zip, ZipArchiveEntry entry, String name, String what)
            throws BundleException {
        try {
            return zip.getInputStream(entry);
        } catch (IOException e) {
            throw readError(name, what, e);
        }
    }

    private static void checkCrc(ZipArchiveEntry entry, CheckedInputStream data, String name)
            throws BundleException {
        if (entry.getCrc() >= 0 && data.getChecksum().getValue() != entry.getCrc()) {
            throw refused(name, "damaged: CRC mismatch");
        }
    }

    private static BundleException refused(String name, String why) {
        return new BundleException(Extraction.entry(name) + why);
    }

    /** Reading the archive failed: over a cap, damaged, or not an archive at all. */
    private static BundleException readError(String name, String what, IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LimitExceededException limit) {
                return new BundleException(name == null ? limit.getMessage()
                        : Extraction.entry(name) + limit.getMessage(), e);
            }
        }
        return new BundleException((name == null ? "" : Extraction.entry(name)) + what + " (damaged or truncated?): "
                + inUsersWords(e), e);
    }

    /** What went wrong, without the names of Java classes that an archive library puts in its messages. */
    private static String inUsersWords(IOException e) {
        String message = e.getMessage();
        if (e instanceof java.io.EOFException || message == null || message.isBlank()) {
            return e instanceof java.io.EOFException ? "it ends early" : "it cannot be read";
        }
        return JAVA_NAME.matcher(message).find() ? "it cannot be read" : message;
    }

    private static final java.util.regex.Pattern JAVA_NAME = java.util.regex.Pattern.compile(
            "\\b(?:java|javax|jdk|sun|org|com)\\.[a-z]+\\.|[A-Z][A-Za-z]*(?:Exception|Error)\\b");

    /**
     * Removes a tree without following symlinks, read-only directories included (their owner may
     * not remove entries otherwise); a missing tree is fine. What every tree Arrow made is removed with.
     */
    public static void deleteTree(Path dir) throws IOException {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    Files.setPosixFilePermissions(d, OWNER_ALL);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // already gone
        }
    }
}
