import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Raises the class-file version of a jar's classes under a prefix to 50 (Java 6) where it is
 * lower, in place. Usage: java RaiseClassVersion.java JAR PREFIX
 *
 * Why: picocli ships Java 5 class files (version 49), and the JVM's start-up cache (AOT cache)
 * leaves out classes older than version 50. Left out, picocli's 170-odd classes are loaded, linked
 * and profiled from scratch at every start of every command: some 200 ms on a 2-core machine.
 * Version 50 changes nothing in the bytecode's meaning; a version-50 class without stack maps is
 * verified the old way, as a version-49 class is.
 */
public class RaiseClassVersion {

    private static final int JAVA_6 = 50;

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java RaiseClassVersion.java JAR PREFIX");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        String prefix = args[1];
        Path raised = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName().toString(), ".tmp");
        int count = 0;
        try (var in = new ZipFile(jar.toFile()); var out = new ZipOutputStream(Files.newOutputStream(raised))) {
            for (ZipEntry entry : Collections.list(in.entries())) {
                byte[] data;
                try (InputStream stream = in.getInputStream(entry)) {
                    data = stream.readAllBytes();
                }
                if (entry.getName().startsWith(prefix) && entry.getName().endsWith(".class") && isOlderClass(data)) {
                    data[6] = (byte) (JAVA_6 >> 8);
                    data[7] = (byte) JAVA_6;
                    count++;
                }
                var copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime()); // the jar stays reproducible
                copy.setMethod(entry.getMethod());
                if (entry.getMethod() == ZipEntry.STORED) {
                    var crc = new CRC32();
                    crc.update(data);
                    copy.setSize(data.length);
                    copy.setCompressedSize(data.length);
                    copy.setCrc(crc.getValue());
                }
                out.putNextEntry(copy);
                out.write(data);
                out.closeEntry();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(raised);
            throw e;
        }
        Files.move(raised, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        // Quiet on success: the launcher of a first build says what it is doing in its own words.
    }

    private static boolean isOlderClass(byte[] data) {
        return data.length > 8 && (data[0] & 0xff) == 0xca && (data[1] & 0xff) == 0xfe && (data[2] & 0xff) == 0xba
                && (data[3] & 0xff) == 0xbe && ((data[6] & 0xff) << 8 | (data[7] & 0xff)) < JAVA_6;
    }
}
