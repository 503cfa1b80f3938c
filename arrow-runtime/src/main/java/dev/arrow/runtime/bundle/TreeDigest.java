package dev.arrow.runtime.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The content address of an unpacked tree: {@code sha256:<64 hex>}.
 *
 * <p>SHA-256 over a version tag and then, for every entry below the root sorted by the UTF-8 bytes
 * of its relative path ('/' separated): its kind, its path, and for a regular file whether it is
 * executable and the SHA-256 of its content, for a symlink its target. Every variable-length field
 * is length-prefixed, so no two trees encode alike. Timestamps, owners, other mode bits, the
 * archive format and the order of entries in it do not count: the same tree from a .zip and from
 * a .tar.gz has the same digest. Symlinks are never followed.
 */
public final class TreeDigest {

    private static final byte[] VERSION = "arrow-tree-v1".getBytes(StandardCharsets.US_ASCII);
    private static final Set<PosixFilePermission> EXEC = Set.of(PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);

    private TreeDigest() {
    }

    /** @throws IOException also when the tree holds something other than files, directories, symlinks */
    public static String of(Path dir) throws IOException {
        record Item(byte[] path, Path file, BasicFileAttributes attributes) {
        }
        List<Item> items = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                if (!d.equals(dir)) {
                    items.add(new Item(relative(dir, d), d, attrs));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                items.add(new Item(relative(dir, file), file, attrs));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                throw e;
            }
        });
        items.sort((a, b) -> Arrays.compareUnsigned(a.path(), b.path()));
        MessageDigest tree = sha256();
        field(tree, VERSION);
        for (Item item : items) {
            BasicFileAttributes attrs = item.attributes();
            if (attrs.isDirectory()) {
                tree.update((byte) 'd');
                field(tree, item.path());
            } else if (attrs.isRegularFile()) {
                tree.update((byte) 'f');
                field(tree, item.path());
                boolean exec = Files.getPosixFilePermissions(item.file(), LinkOption.NOFOLLOW_LINKS).stream()
                        .anyMatch(EXEC::contains);
                tree.update((byte) (exec ? 1 : 0));
                tree.update(contentHash(item.file()));
            } else if (attrs.isSymbolicLink()) {
                tree.update((byte) 'l');
                field(tree, item.path());
                field(tree, Files.readSymbolicLink(item.file()).toString().getBytes(StandardCharsets.UTF_8));
            } else {
                throw new IOException("not a file, directory or symlink: " + item.file());
            }
        }
        return "sha256:" + HexFormat.of().formatHex(tree.digest());
    }

    private static byte[] relative(Path root, Path p) {
        List<String> parts = new ArrayList<>();
        for (Path part : root.relativize(p)) {
            parts.add(part.toString());
        }
        return String.join("/", parts).getBytes(StandardCharsets.UTF_8);
    }

    private static void field(MessageDigest md, byte[] value) {
        int n = value.length;
        md.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        md.update(value);
    }

    private static byte[] contentHash(Path file) throws IOException {
        MessageDigest md = sha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                md.update(buffer, 0, n);
            }
        }
        return md.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
