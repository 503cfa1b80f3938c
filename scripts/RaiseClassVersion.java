import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites a jar's classes under a prefix that are older than Java 8 (version 52) as version-52
 * classes with stack maps, in place. Usage: java RaiseClassVersion.java JAR PREFIX
 *
 * Why: picocli ships Java 5 class files (version 49), and the JVM's start-up cache (AOT cache)
 * leaves out every class that the old type-inferring verifier checks: those older than version 50,
 * and those of version 50 without stack maps. Left out, picocli's classes are loaded, linked and
 * verified from scratch at every start of every command, the largest part of a node command's
 * time. The JDK's class-file API recomputes the stack maps; the bytecode itself is unchanged.
 */
public class RaiseClassVersion {

    private static final int JAVA_8 = 52;

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java RaiseClassVersion.java JAR PREFIX");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        String prefix = args[1];
        Path raised = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName().toString(), ".tmp");
        // Stack maps name the common supertypes of merged types: resolve picocli's own from the jar.
        try (var in = new ZipFile(jar.toFile()); var out = new ZipOutputStream(Files.newOutputStream(raised));
                var classes = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(classes))));
            ClassTransform version = (builder, element) -> {
                if (element instanceof ClassFileVersion) {
                    builder.withVersion(JAVA_8, 0);
                } else {
                    builder.with(element);
                }
            };
            ClassTransform raise = version.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL));
            for (ZipEntry entry : Collections.list(in.entries())) {
                byte[] data;
                try (InputStream stream = in.getInputStream(entry)) {
                    data = stream.readAllBytes();
                }
                if (entry.getName().startsWith(prefix) && entry.getName().endsWith(".class") && isOlderClass(data)) {
                    data = classFile.transformClass(classFile.parse(data), raise);
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
                && (data[3] & 0xff) == 0xbe && ((data[6] & 0xff) << 8 | (data[7] & 0xff)) < JAVA_8;
    }
}
