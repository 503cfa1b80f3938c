package dev.arrow.cli;

import dev.arrow.sandbox.Mount;
import java.nio.file.Files;
import java.nio.file.Path;

/** Parses {@code --mount HOST:SANDBOX[:rw|:ro]}; read-only unless ":rw" asks otherwise. */
final class MountOption {

    private MountOption() {
    }

    /**
     * @param workingDirectory what a relative host path is relative to
     * @throws IllegalArgumentException for a malformed option or a host path that does not exist
     */
    static Mount parse(String text, Path workingDirectory) {
        String[] parts = text.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not a mount: use HOST:SANDBOX[:rw|:ro]");
        }
        boolean writable = parts.length == 3 && switch (parts[2]) {
            case "rw" -> true;
            case "ro" -> false;
            default -> throw new IllegalArgumentException(
                    "mount mode '" + parts[2] + "' in '" + text + "' must be rw or ro");
        };
        // Checked here, so the user hears about a typo before any sandbox is built.
        Path source = workingDirectory.resolve(parts[0]).normalize();
        if (!Files.exists(source)) {
            throw new IllegalArgumentException("mount source " + source + " does not exist");
        }
        if (!parts[1].startsWith("/")) {
            throw new IllegalArgumentException("mount target '" + parts[1] + "' must be an absolute path");
        }
        return new Mount(source, parts[1], writable);
    }
}
