package dev.arrow.state;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * Keeps the SQLite driver's native library extracted in a private directory, so that opening the
 * state does not extract it again. Left alone, the driver copies the 1 MiB library out of its jar
 * into the temporary directory on every start, a large part of the node's start (its time to
 * ready: {@code arrow bench node}).
 * The copy is checked against the jar entry's CRC, so a new driver brings its own library.
 */
final class SqliteLibrary {

    private static final String NAME = "libsqlitejdbc.so";
    private static final String PATH_PROPERTY = "org.sqlite.lib.path";
    private static final String NAME_PROPERTY = "org.sqlite.lib.name";
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");
    /** The driver's folder names for the architectures Java names in os.arch (glibc builds). */
    private static final Map<String, String> ARCHITECTURES = Map.of("amd64", "x86_64", "aarch64", "aarch64");

    private static boolean settled; // guarded by SqliteLibrary.class

    private SqliteLibrary() {}

    /**
     * Points the driver at the library in {@code directory} (created mode 0700 if absent),
     * extracting it there first if it is missing or not this driver's. Does nothing after the
     * first call in a JVM (the library loads once), when the driver was told where its library is,
     * or where this cannot be done safely: then the driver extracts it as usual.
     */
    static synchronized void useCopyIn(Path directory) {
        if (settled) {
            return;
        }
        settled = true;
        if (System.getProperty(PATH_PROPERTY) == null) {
            extract(directory).ifPresent(library -> {
                System.setProperty(PATH_PROPERTY, library.getParent().toString());
                System.setProperty(NAME_PROPERTY, NAME);
            });
        }
    }

    /** The driver's library in {@code directory}, put there if it was not; empty where it cannot be. */
    static Optional<Path> extract(Path directory) {
        String architecture = ARCHITECTURES.get(System.getProperty("os.arch"));
        if (!"Linux".equals(System.getProperty("os.name")) || architecture == null
                || Files.exists(Path.of("/etc/alpine-release"))) {
            return Optional.empty(); // musl systems (Alpine) need the driver's Linux-Musl build: its own choice
        }
        URL bundled = SqliteLibrary.class.getResource("/org/sqlite/native/Linux/" + architecture + "/" + NAME);
        if (bundled == null) {
            return Optional.empty();
        }
        try {
            URLConnection connection = bundled.openConnection();
            if (!(connection instanceof JarURLConnection entry) || entry.getJarEntry().getCrc() < 0) {
                return Optional.empty();
            }
            long crc = entry.getJarEntry().getCrc();
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PRIVATE));
            // A library that anyone else could have written would run as this process: only in a
            // directory that is ours alone.
            if (!Files.getPosixFilePermissions(directory).equals(PRIVATE)
                    || !Files.getOwner(directory).getName().equals(System.getProperty("user.name"))) {
                return Optional.empty();
            }
            Path library = directory.resolve(NAME);
            if (!Files.isRegularFile(library) || checksum(library) != crc) {
                Path partial = Files.createTempFile(directory, NAME, ".partial");
                try (InputStream in = connection.getInputStream()) {
                    Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(partial, library, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(partial);
                }
            }
            return Optional.of(library);
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // the driver's own extraction still works; this only saves time
        }
    }

    private static long checksum(Path file) throws IOException {
        var crc = new CRC32();
        crc.update(Files.readAllBytes(file));
        return crc.getValue();
    }
}
