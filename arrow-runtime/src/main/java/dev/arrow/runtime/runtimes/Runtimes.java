package dev.arrow.runtime.runtimes;

import dev.arrow.runtime.bundle.BundleUnpacker;
import dev.arrow.sandbox.NativeProgram;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The runtime directory: the bootstraps of every {@link LanguageRuntime}, shipped with Arrow (the
 * scripts as resources of this jar, the shell runtime as a native program built next to the
 * sandbox helper) and installed read-only for the node to mount into sandboxes at
 * {@link #MOUNT_POINT}.
 */
public final class Runtimes {

    /** Where the node shows the runtime directory inside a sandbox. */
    public static final Path MOUNT_POINT = Path.of("/opt/arrow/runtime");

    /** The shell runtime's C bootstrap: {@code -Darrow.shellRuntime}, {@code ARROW_SHELL_RUNTIME}. */
    private static final NativeProgram SHELL_RUNTIME_PROGRAM =
            new NativeProgram("arrow-shell-runtime", "arrow.shellRuntime", "ARROW_SHELL_RUNTIME");

    static final String PYTHON3_BOOTSTRAP = "bootstrap.py";
    static final String NODE_BOOTSTRAP = "bootstrap.js";
    static final String SHELL_RUNTIME = "arrow-shell-runtime";
    /** The clients of the node's services a handler imports as {@code arrow}. */
    static final String PYTHON3_CLIENT = "arrow.py";
    static final String NODE_CLIENT = "arrow.js";

    private static final String RESOURCES = "/dev/arrow/runtime/bootstrap/";
    private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");
    private static final Set<PosixFilePermission> READ_EXECUTE = PosixFilePermissions.fromString("r-xr-xr-x");

    private Runtimes() {
    }

    /**
     * {@link #install(Path, Path)} with the {@code arrow-shell-runtime} found like the sandbox
     * helper: {@code -Darrow.shellRuntime}, {@code ARROW_SHELL_RUNTIME}, {@code native/target/} or
     * {@code libexec/} above this jar.
     *
     * @throws java.nio.file.NoSuchFileException when the shell runtime cannot be found
     */
    public static Path install(Path dir) throws IOException {
        return install(dir, SHELL_RUNTIME_PROGRAM.locate());
    }

    /**
     * Installs the runtime directory under {@code dir}: {@code dir/<content hash>/} holding
     * {@code bootstrap.py}, {@code bootstrap.js}, {@code arrow-shell-runtime} and the clients {@code arrow.py}
     * and {@code arrow.js}, every file and the
     * directory read-only (world-readable, so a sandbox's unprivileged user can read them).
     * Idempotent and safe to run concurrently, also from several processes: an installed
     * directory is never changed, a new Arrow version gets a new one.
     *
     * @param shellRuntime the {@code arrow-shell-runtime} program to copy
     * @return the runtime directory, to be mounted read-only at {@link #MOUNT_POINT}
     */
    public static Path install(Path dir, Path shellRuntime) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        files.put(PYTHON3_BOOTSTRAP, resource("python3/" + PYTHON3_BOOTSTRAP));
        files.put(NODE_BOOTSTRAP, resource("node/" + NODE_BOOTSTRAP));
        files.put(PYTHON3_CLIENT, resource("python3/" + PYTHON3_CLIENT));
        files.put(NODE_CLIENT, resource("node/" + NODE_CLIENT));
        files.put(SHELL_RUNTIME, Files.readAllBytes(shellRuntime));
        Path target = dir.resolve(contentHash(files));
        if (Files.isDirectory(target)) {
            return target;
        }
        Files.createDirectories(dir);
        Path staging = Files.createTempDirectory(dir, ".installing-");
        try {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path path = Files.write(staging.resolve(file.getKey()), file.getValue());
                Files.setPosixFilePermissions(path, file.getKey().equals(SHELL_RUNTIME) ? READ_EXECUTE : READ_ONLY);
            }
            Files.setPosixFilePermissions(staging, READ_EXECUTE);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isDirectory(target)) { // else another install got there first: same content
                    throw e;
                }
            }
        } finally {
            if (Files.exists(staging)) {
                BundleUnpacker.deleteTree(staging);
            }
        }
        return target;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = Runtimes.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IOException("the runtime bootstrap " + RESOURCES + name + " is missing from Arrow's classpath");
            }
            return in.readAllBytes();
        }
    }

    /** The first 16 hex digits of a SHA-256 over every file's name and content. */
    private static String contentHash(Map<String, byte[]> files) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            byte[] name = file.getKey().getBytes(StandardCharsets.UTF_8);
            digest.update(longBytes(name.length));
            digest.update(name);
            digest.update(longBytes(file.getValue().length));
            digest.update(file.getValue());
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 8);
    }

    private static byte[] longBytes(long value) {
        byte[] bytes = new byte[8];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (value >>> (56 - 8 * i));
        }
        return bytes;
    }
}
