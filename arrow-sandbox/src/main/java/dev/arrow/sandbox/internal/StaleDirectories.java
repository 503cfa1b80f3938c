package dev.arrow.sandbox.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Private temporary directories named {@code PREFIX<pid>-<random>} by the process that owns them. A
 * process killed outright (SIGKILL, an OOM kill) leaves its own; the next process to make one
 * removes those whose owner has ended.
 */
public final class StaleDirectories {

    private StaleDirectories() {
    }

    /** Removes, below {@code parent}, the directories named {@code prefix<pid>-...} whose process has ended. */
    public static void removeOfEndedProcesses(Path parent, String prefix) {
        Pattern owned = Pattern.compile(Pattern.quote(prefix) + "(\\d+)-.+");
        List<Path> candidates;
        try (Stream<Path> entries = Files.list(parent)) {
            candidates = entries.filter(path -> path.getFileName().toString().startsWith(prefix)).toList();
        } catch (IOException e) {
            return; // nothing to sweep here
        }
        for (Path dir : candidates) {
            Matcher matcher = owned.matcher(dir.getFileName().toString());
            if (!matcher.matches() || !Files.isDirectory(dir)) {
                continue;
            }
            long pid;
            try {
                pid = Long.parseLong(matcher.group(1));
            } catch (NumberFormatException e) {
                continue;
            }
            if (ProcessHandle.of(pid).isEmpty()) {
                deleteTree(dir);
            }
        }
    }

    /** Removes a directory and everything in it; what is already gone is no error. */
    public static void deleteTree(Path dir) {
        try (Stream<Path> tree = Files.walk(dir)) {
            tree.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // removed by another process meanwhile
        }
    }
}
