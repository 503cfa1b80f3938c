package dev.arrow.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a sandbox may leave on the host: processes, cgroups, mounts. Read straight from the kernel. */
public final class HostProcesses {

    private HostProcesses() {
    }

    /** Host pids whose command line contains {@code marker}. */
    public static List<Long> withMarker(String marker) throws IOException {
        var found = new ArrayList<Long>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path dir : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.contains(marker)) {
                        found.add(Long.parseLong(dir.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // the process ended while we looked
                }
            }
        }
        return found;
    }

    /**
     * Sandbox cgroup directories left under every hierarchy's "arrow" root. Those of prewarmed
     * sandboxes waiting in a pool ("warm-...") are the pool's, not left by any sandbox.
     */
    public static List<Path> sandboxCgroups() throws IOException {
        var found = new ArrayList<Path>();
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path hierarchy : hierarchies.toList()) {
                Path root = hierarchy.resolve("arrow");
                if (!Files.isDirectory(root)) {
                    continue;
                }
                try (Stream<Path> children = Files.list(root)) {
                    children.filter(Files::isDirectory)
                            .filter(p -> !p.getFileName().toString().startsWith("warm-"))
                            .forEach(found::add);
                }
            }
        }
        return found;
    }

    public static long mountCount() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).size();
    }
}
