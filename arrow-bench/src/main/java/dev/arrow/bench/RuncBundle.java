package dev.arrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A throwaway runc bundle that runs {@code /bin/true}: the config {@code runc spec} writes, with an
 * empty rootfs into which the host's system directories are bound read-only, so no image is needed.
 */
final class RuncBundle implements AutoCloseable {

    private static final List<String> HOST_DIRECTORIES =
            List.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc");

    private final Path directory;

    private RuncBundle(Path directory) {
        this.directory = directory;
    }

    static RuncBundle create(Path runc) throws IOException, InterruptedException, ProcessFailedException {
        var bundle = new RuncBundle(Files.createTempDirectory("arrow-bench-runc-"));
        try {
            Processes.run(List.of(runc.toString(), "spec", "--bundle", bundle.directory.toString()));
            bundle.configure();
            return bundle;
        } catch (Exception e) { // rethrown as precisely as declared
            bundle.close();
            throw e;
        }
    }

    /** The command line of one run, as container {@code containerId}. */
    List<String> runArgv(Path runc, String containerId) {
        return List.of(runc.toString(), "run", "--bundle", directory.toString(), containerId);
    }

    private void configure() throws IOException {
        Path rootfs = Files.createDirectories(directory.resolve("rootfs"));
        for (String mountPoint : List.of("proc", "dev", "sys", "tmp")) {
            Files.createDirectory(rootfs.resolve(mountPoint));
        }
        Path configFile = directory.resolve("config.json");
        var mapper = new ObjectMapper();
        var config = (ObjectNode) mapper.readTree(configFile.toFile());
        var process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        process.putArray("args").add("/bin/true");
        config.putObject("root").put("path", rootfs.toString()).put("readonly", true);
        var mounts = (ArrayNode) config.get("mounts");
        for (String name : HOST_DIRECTORIES) {
            Path host = Path.of("/", name);
            if (Files.isSymbolicLink(host)) { // merged /usr: /bin -> usr/bin and so on
                Files.createSymbolicLink(rootfs.resolve(name), Files.readSymbolicLink(host));
            } else if (Files.isDirectory(host)) {
                Files.createDirectory(rootfs.resolve(name));
                mounts.addObject()
                        .put("destination", host.toString())
                        .put("type", "bind")
                        .put("source", host.toString())
                        .putArray("options").add("rbind").add("ro");
            }
        }
        mapper.writeValue(configFile.toFile(), config);
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(directory)) { // does not follow the rootfs's symlinks
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
