package dev.arrow.runtime.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the entries of one archive into an empty directory, whatever the archive format, and
 * keeps a model of what it wrote, so that every decision about a path is taken on that model and
 * never by following something on disk.
 *
 * <p>Rules: paths are relative, without {@code ..}, NUL or backslash; an entry is never written
 * through a symlink or a file, nor over an earlier entry; symlinks must stay inside the tree, also
 * when followed through other symlinks (checked over the finished tree in {@link #finish()}); a
 * hard link must name an earlier regular file and is unpacked as a copy of it. Sizes are counted
 * as bytes are written. Finally modes become 0755 for directories and 0644/0755 for files, and
 * every mtime becomes the epoch.
 */
final class Extraction {

    private static final int NAME_MAX = 255;
    private static final int MAX_SYMLINK_HOPS = 40; // as Linux: ELOOP after 40
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> EXEC_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final FileTime EPOCH = FileTime.fromMillis(0);

    private enum Kind { DIRECTORY, FILE, SYMLINK }

    private static final class Node {
        final Kind kind;
        boolean explicit; // a directory named by an entry, not only implied by a deeper one
        boolean exec;
        String linkTarget;

        Node(Kind kind, boolean explicit) {
            this.kind = kind;
            this.explicit = explicit;
        }
    }

    private final Path root;
    private final Path realRoot;
    private final BundleLimits limits;
    private final Map<String, Node> nodes = new HashMap<>();
    private final byte[] buffer = new byte[64 * 1024];
    private long files;
    private long bytes;

    Extraction(Path root, BundleLimits limits) throws IOException {
        this.root = root;
        this.realRoot = root.toRealPath();
        this.limits = limits;
    }

    /** A directory entry; the root itself ("./") is accepted and ignored. */
    void directory(String name) throws BundleException, IOException {
        String path = normalize(name, name, "path");
        if (path.isEmpty()) {
            return;
        }
        Node existing = nodes.get(path);
        if (existing != null) {
            if (existing.kind == Kind.DIRECTORY && !existing.explicit) {
                existing.explicit = true;
                return;
            }
            throw new BundleException(entry(name) + "duplicate entry");
        }
        Path target = prepare(name, path);
        Files.createDirectory(target);
        add(name, path, new Node(Kind.DIRECTORY, true));
    }

    /** A regular file with its content; {@code exec} when the archive gave it any execute bit. */
    void file(String name, boolean exec, InputStream content, ArchiveReadErrors errors)
            throws BundleException, IOException {
        String path = fileEntryPath(name);
        Path target = prepare(name, path);
        Node node = new Node(Kind.FILE, true);
        node.exec = exec;
        add(name, path, node);
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            copy(name, content, out, errors);
        }
        files++;
    }

    /** A symlink: its target, resolved from the link's directory, must stay inside the tree. */
    void symlink(String name, String linkTarget) throws BundleException, IOException {
        String path = fileEntryPath(name);
        if (linkTarget == null || linkTarget.isEmpty()) {
            throw new BundleException(entry(name) + "symlink has an empty target");
        }
        if (linkTarget.indexOf('\0') >= 0) {
            throw new BundleException(entry(name) + "symlink target contains a NUL character");
        }
        if (linkTarget.startsWith("/")) {
            throw new BundleException(entry(name) + "symlink target " + quote(linkTarget)
                    + " is absolute; only relative targets inside the bundle are allowed");
        }
        if (utf8Length(linkTarget) > limits.maxPathLength()) {
            throw new BundleException(entry(name) + "symlink target is longer than "
                    + limits.maxPathLength() + " bytes");
        }
        // Lexically first, for a clear message; finish() then follows links through links.
        Deque<String> stack = new ArrayDeque<>(parentComponents(path));
        for (String component : linkTarget.split("/")) {
            if (component.equals("..")) {
                if (stack.isEmpty()) {
                    throw new BundleException(entry(name) + "symlink target " + quote(linkTarget)
                            + " points outside the bundle");
                }
                stack.removeLast();
            } else if (!component.isEmpty() && !component.equals(".")) {
                stack.addLast(component);
            }
        }
        Path target = prepare(name, path);
        Node node = new Node(Kind.SYMLINK, true);
        node.linkTarget = linkTarget;
        add(name, path, node);
        Files.createSymbolicLink(target, Path.of(linkTarget));
    }

    /** A hard link, only to an earlier regular file of the bundle; unpacked as a copy of it. */
    void hardLink(String name, String linkTarget) throws BundleException, IOException {
        String path = fileEntryPath(name);
        String source;
        try {
            source = normalize(linkTarget == null ? "" : linkTarget, name, "hard link target");
        } catch (BundleException e) {
            throw new BundleException(entry(name) + "hard link target " + quote(linkTarget)
                    + " is not inside the bundle");
        }
        Node original = nodes.get(source);
        if (original == null || original.kind != Kind.FILE) {
            throw new BundleException(entry(name) + "hard link target " + quote(linkTarget)
                    + " is not an earlier regular file of the bundle");
        }
        Path target = prepare(name, path);
        Node node = new Node(Kind.FILE, true);
        node.exec = original.exec;
        add(name, path, node);
        // The original's parents were checked when it was written and nothing replaces them since.
        try (InputStream in = Files.newInputStream(root.resolve(source), LinkOption.NOFOLLOW_LINKS);
             OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            copy(name, in, out, null);
        }
        files++;
    }

    /** Checks the links of the finished tree, normalizes modes and times, and says what it holds. */
    UnpackedBundle finish() throws BundleException, IOException {
        for (Map.Entry<String, Node> e : nodes.entrySet()) {
            if (e.getValue().kind == Kind.SYMLINK) {
                checkResolution(e.getKey());
            }
        }
        List<String> paths = new ArrayList<>(nodes.keySet());
        // Children before parents: creating or touching a child changes its directory's mtime.
        paths.sort(Comparator.comparingInt(Extraction::depth).reversed());
        for (String path : paths) {
            Node node = nodes.get(path);
            Path p = root.resolve(path);
            switch (node.kind) {
                case DIRECTORY -> Files.setPosixFilePermissions(p, DIR_MODE);
                case FILE -> Files.setPosixFilePermissions(p, node.exec ? EXEC_MODE : FILE_MODE);
                case SYMLINK -> { } // a symlink's own mode is meaningless; chmod would follow it
            }
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(EPOCH, EPOCH, null);
        }
        Files.setPosixFilePermissions(root, DIR_MODE);
        Files.getFileAttributeView(root, BasicFileAttributeView.class).setTimes(EPOCH, EPOCH, null);
        return new UnpackedBundle(files, bytes);
    }

    /** Reading the archive failed: the archive is damaged or not one. */
    @FunctionalInterface
    interface ArchiveReadErrors {
        BundleException wrap(String entryName, IOException e);
    }

    private void copy(String name, InputStream in, OutputStream out, ArchiveReadErrors errors)
            throws BundleException, IOException {
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                if (errors == null) {
                    throw e;
                }
                throw errors.wrap(name, e);
            }
            if (n < 0) {
                return;
            }
            bytes += n;
            if (bytes > limits.maxUnpackedBytes()) {
                throw new BundleException(entry(name) + "the bundle unpacks to more than "
                        + BundleLimits.describe(limits.maxUnpackedBytes()));
            }
            out.write(buffer, 0, n);
        }
    }

    /** Creates missing parent directories and checks nothing on the way is a symlink or a file. */
    private Path prepare(String name, String path) throws BundleException, IOException {
        if (nodes.containsKey(path)) {
            throw new BundleException(entry(name) + "duplicate entry");
        }
        List<String> parents = parentComponents(path);
        StringBuilder prefix = new StringBuilder();
        for (String component : parents) {
            if (!prefix.isEmpty()) {
                prefix.append('/');
            }
            prefix.append(component);
            String dir = prefix.toString();
            Node node = nodes.get(dir);
            if (node == null) {
                countEntry(name);
                Files.createDirectory(root.resolve(dir));
                nodes.put(dir, new Node(Kind.DIRECTORY, false));
            } else if (node.kind == Kind.SYMLINK) {
                throw new BundleException(entry(name) + "path goes through symlink " + quote(dir)
                        + "; nothing may be written through a link");
            } else if (node.kind == Kind.FILE) {
                throw new BundleException(entry(name) + "path goes through " + quote(dir)
                        + ", which is a file");
            }
        }
        // Belt and braces: the directory on disk is really where the model says it is.
        Path parent = parents.isEmpty() ? root : root.resolve(String.join("/", parents));
        if (!parent.toRealPath().equals(realRoot.resolve(parents.isEmpty() ? "" : String.join("/", parents)))) {
            throw new BundleException(entry(name) + "path escapes the bundle");
        }
        return root.resolve(path);
    }

    private void add(String name, String path, Node node) throws BundleException {
        countEntry(name);
        nodes.put(path, node);
    }

    private void countEntry(String name) throws BundleException {
        if (nodes.size() >= limits.maxFiles()) {
            throw new BundleException(entry(name) + "too many entries: a bundle may hold at most "
                    + limits.maxFiles() + " files, directories and links");
        }
    }

    private String fileEntryPath(String name) throws BundleException {
        String path = normalize(name, name, "path");
        if (path.isEmpty()) {
            throw new BundleException(entry(name) + "not a valid path for a file or link");
        }
        return path;
    }

    /**
     * The path inside the bundle, "a/b/c": no leading slash, no {@code ..}, no NUL or backslash;
     * empty and "." components dropped ("./a//b" is "a/b"), so that two spellings of one path are
     * found to be the same entry.
     */
    private String normalize(String raw, String name, String what) throws BundleException {
        if (raw.indexOf('\0') >= 0) {
            throw new BundleException(entry(name) + what + " contains a NUL character");
        }
        if (raw.startsWith("/")) {
            throw new BundleException(entry(name) + what + " is absolute");
        }
        if (raw.indexOf('\\') >= 0) {
            throw new BundleException(entry(name) + what + " contains a backslash; use '/' between directories");
        }
        List<String> components = new ArrayList<>();
        for (String component : raw.split("/")) {
            if (component.equals("..")) {
                throw new BundleException(entry(name) + what + " escapes the bundle");
            }
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (utf8Length(component) > NAME_MAX) {
                throw new BundleException(entry(name) + what + " has a name longer than " + NAME_MAX + " bytes");
            }
            components.add(component);
        }
        String path = String.join("/", components);
        if (utf8Length(path) > limits.maxPathLength()) {
            throw new BundleException(entry(name) + what + " is longer than " + limits.maxPathLength() + " bytes");
        }
        if (components.size() > limits.maxDepth()) {
            throw new BundleException(entry(name) + what + " is deeper than " + limits.maxDepth() + " levels");
        }
        return path;
    }

    /**
     * Follows a link as the kernel would, over the finished tree: through other links, with
     * {@code ..} applied to where the walk really is. Escaping the root is refused, and so is a
     * loop; a missing component ends the walk harmlessly (ENOENT: the tree is read-only).
     */
    private void checkResolution(String linkPath) throws BundleException {
        Deque<String> where = new ArrayDeque<>(parentComponents(linkPath));
        Deque<String> todo = new ArrayDeque<>(Arrays.asList(nodes.get(linkPath).linkTarget.split("/")));
        int hops = 1;
        while (!todo.isEmpty()) {
            String component = todo.pollFirst();
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                if (where.isEmpty()) {
                    throw new BundleException(entry(linkPath) + "symlink target "
                            + quote(nodes.get(linkPath).linkTarget)
                            + " leads outside the bundle through other links");
                }
                where.removeLast();
                continue;
            }
            String candidate = where.isEmpty() ? component : String.join("/", where) + "/" + component;
            Node node = nodes.get(candidate);
            if (node == null) {
                return;
            }
            switch (node.kind) {
                case SYMLINK -> {
                    if (++hops > MAX_SYMLINK_HOPS) {
                        throw new BundleException(entry(linkPath) + "symlink is part of a loop");
                    }
                    List<String> expansion = Arrays.asList(node.linkTarget.split("/"));
                    for (int i = expansion.size() - 1; i >= 0; i--) {
                        todo.addFirst(expansion.get(i));
                    }
                }
                case FILE -> {
                    if (!todo.isEmpty()) {
                        return; // ENOTDIR
                    }
                    where.addLast(component);
                }
                case DIRECTORY -> where.addLast(component);
            }
        }
    }

    private static List<String> parentComponents(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? List.of() : List.of(path.substring(0, slash).split("/"));
    }

    private static int depth(String path) {
        return path.isEmpty() ? 0 : path.split("/").length;
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    static String entry(String name) {
        return "entry " + quote(name) + ": ";
    }

    /** Quoted for a message: control characters escaped, very long names shortened. */
    static String quote(String s) {
        if (s == null) {
            return "''";
        }
        StringBuilder out = new StringBuilder("'");
        int limit = Math.min(s.length(), 200);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c == 0) {
                out.append("\\0");
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (s.length() > limit) {
            out.append("...");
        }
        return out.append('\'').toString();
    }
}
