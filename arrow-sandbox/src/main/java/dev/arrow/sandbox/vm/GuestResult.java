package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.Outcome;
import java.time.Duration;

/**
 * The guest init's result line:
 * {@code result OUTCOME EXIT_CODE SIGNAL CPU_USER_NS CPU_SYSTEM_NS PEAK_BYTES REASON DETAIL...}
 * (REASON {@code -} when there is none; DETAIL the rest of the line).
 */
record GuestResult(Outcome outcome, Duration cpuUser, Duration cpuSystem, long peakMemoryBytes) {

    static GuestResult parse(String line) {
        String[] f = line.strip().split(" ", 9);
        if (f.length < 8 || !f[0].equals("result")) {
            throw new IllegalArgumentException("not a result line: " + line);
        }
        String reason = f[7].equals("-") ? "" : f[7];
        String detail = f.length > 8 ? f[8] : "";
        Outcome outcome = switch (f[1]) {
            case "exited" -> new Outcome.Exited(Integer.parseInt(f[2]));
            case "signaled" -> new Outcome.Signaled(Integer.parseInt(f[3]));
            case "out-of-memory" -> new Outcome.OutOfMemory();
            case "failed-to-start" -> new Outcome.FailedToStart(reason.isEmpty() ? "setup-failed" : reason, detail);
            default -> throw new IllegalArgumentException("unknown outcome in: " + line);
        };
        return new GuestResult(outcome, Duration.ofNanos(Long.parseLong(f[4])), Duration.ofNanos(Long.parseLong(f[5])),
                Long.parseLong(f[6]));
    }
}
