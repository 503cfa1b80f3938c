package dev.arrow.cli.client;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Packs a directory into a .tar.gz that depends only on the tree: entries sorted by path, times
 * 0, owner 0:0 without names, modes 0755 (directories and files with the owner's exec bit) or
 * 0644, symlinks kept as symlinks with their target as written. The same tree gives the same
 * bytes, so an unchanged directory uploads as a bundle the node already has.
 */
public final class BundlePacker {

    private static final FileTime EPOCH = FileTime.fromMillis(0);
    private static final int DIRECTORY = 0040755;
    private static final int EXECUTABLE = 0100755;
    private static final int REGULAR = 0100644;
    private static final int SYMLINK = 0120777;

    private BundlePacker() {
    }

    /** What was packed: regular files and their total size. */
    public record Packed(int files, long bytes) {
    }

    public static Packed pack(Path dir, Path tarGz) throws IOException {
        try (OutputStream out = Files.newOutputStream(tarGz)) {
            return pack(dir, out);
        }
    }

    public static Packed pack(Path dir, OutputStream out) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory");
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) { // does not follow symlinks
            paths = new ArrayList<>(walk.filter(path -> !path.equals(dir)).toList());
        }
        paths.sort(Comparator.comparing(path -> entryName(dir, path)));
        int files = 0;
        long bytes = 0;
        try (var tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(new BufferedOutputStream(out)),
                "UTF-8")) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (Path path : paths) {
                String name = entryName(dir, path);
                PosixFileAttributes attributes =
                        Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                TarArchiveEntry entry;
                if (attributes.isSymbolicLink()) {
                    entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                    entry.setLinkName(Files.readSymbolicLink(path).toString());
                    entry.setMode(SYMLINK);
                } else if (attributes.isDirectory()) {
                    entry = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
                    entry.setMode(DIRECTORY);
                } else if (attributes.isRegularFile()) {
                    entry = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
                    entry.setSize(attributes.size());
                    entry.setMode(attributes.permissions().contains(PosixFilePermission.OWNER_EXECUTE)
                            ? EXECUTABLE : REGULAR);
                    files++;
                    bytes += attributes.size();
                } else {
                    throw new IOException("cannot pack " + path + ": only files, directories and symlinks go into a bundle");
                }
                entry.setModTime(EPOCH);
                entry.setUserId(0L);
                entry.setGroupId(0L);
                entry.setUserName("");
                entry.setGroupName("");
                tar.putArchiveEntry(entry);
                if (attributes.isRegularFile()) {
                    Files.copy(path, tar);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        return new Packed(files, bytes);
    }

    private static String entryName(Path dir, Path path) {
        List<String> names = new ArrayList<>();
        dir.relativize(path).forEach(part -> names.add(part.toString()));
        return String.join("/", names);
    }
}
