package dev.arrow.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Runs the helper commands of the benchmark. */
final class Processes {

    private static final File DEV_NULL = new File("/dev/null");

    private Processes() {
    }

    /**
     * Runs {@code argv} with stdin from /dev/null and stdout thrown away, and waits for it.
     *
     * @throws ProcessFailedException with the first line of its stderr when it does not exit with 0
     */
    static void run(List<String> argv) throws IOException, InterruptedException, ProcessFailedException {
        Process process = new ProcessBuilder(argv)
                .redirectInput(DEV_NULL)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String errors;
        try (InputStream stderr = process.getErrorStream()) {
            errors = new String(stderr.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        int status = process.waitFor();
        if (status != 0) {
            throw new ProcessFailedException(String.join(" ", argv) + " exited with status " + status
                    + (errors.isEmpty() ? "" : ": " + errors.lines().findFirst().orElseThrow()));
        }
    }

    /** Where {@code name} is on PATH, as a shell would find it. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
