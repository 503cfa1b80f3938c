package dev.arrow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The kB figures of {@code /proc/PID/status} (VmRSS, RssAnon, RssFile, RssShmem, ...). */
final class ProcStatus {

    private ProcStatus() {
    }

    /** Empty when the process is gone or its status unreadable. */
    static Map<String, Long> read(long pid) {
        try {
            return parse(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")));
        } catch (IOException e) {
            return Map.of();
        }
    }

    static Map<String, Long> parse(List<String> lines) {
        var figures = new LinkedHashMap<String, Long>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            String value = colon < 0 ? "" : line.substring(colon + 1).strip();
            if (value.endsWith(" kB")) {
                try {
                    figures.put(line.substring(0, colon), Long.parseLong(value.substring(0, value.length() - 3).strip()));
                } catch (NumberFormatException e) {
                    // not a figure
                }
            }
        }
        return figures;
    }
}
