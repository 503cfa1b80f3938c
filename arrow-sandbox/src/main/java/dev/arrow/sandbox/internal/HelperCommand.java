package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.SandboxSpec;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Translates a {@link SandboxSpec} into the helper's command line (native/README.md, "Protocol"). */
public final class HelperCommand {

    private static final SecureRandom RANDOM = new SecureRandom();

    private HelperCommand() {
    }

    /**
     * A fresh sandbox id, which names the sandbox's cgroup: "a" (for Arrow) and 16 random hex
     * digits, so ids of concurrent sandboxes, even from several JVMs, never collide in practice.
     */
    public static String newSandboxId() {
        return "a" + HexFormat.of().toHexDigits(RANDOM.nextLong());
    }

    /**
     * The full command line: the helper, every option of the spec, then {@code --} and its argv.
     * Every option is written out, defaults included, so the result does not depend on the
     * helper's own defaults.
     */
    public static List<String> argv(Path helper, String sandboxId, SandboxSpec spec, Optional<Path> resultFile) {
        var argv = new ArrayList<String>();
        argv.add(helper.toString());
        argv.addAll(List.of("--id", sandboxId));

        Limits limits = spec.limits();
        limits.memoryBytes().ifPresent(bytes -> argv.addAll(List.of("--memory", Long.toString(bytes))));
        limits.cpuMillis().ifPresent(millis -> argv.addAll(List.of("--cpu-millis", Integer.toString(millis))));
        limits.pids().ifPresent(count -> argv.addAll(List.of("--pids", Integer.toString(count))));
        argv.addAll(List.of("--nofile", Integer.toString(limits.openFiles())));
        argv.addAll(List.of("--tmpfs-size", Long.toString(limits.tmpfsBytes())));
        limits.wallTime().ifPresent(time -> argv.addAll(List.of("--timeout-ms", Long.toString(ceilMillis(time)))));

        for (Mount mount : spec.mounts()) {
            argv.addAll(List.of(mount.writable() ? "--bind" : "--ro-bind", mount.source().toString(), mount.target()));
        }
        spec.env().forEach((name, value) -> argv.addAll(List.of("--env", name + "=" + value)));
        argv.addAll(List.of("--workdir", spec.workdir()));
        argv.addAll(List.of("--network", spec.network().name().toLowerCase(Locale.ROOT)));
        argv.addAll(List.of("--uid", Integer.toString(spec.uid())));
        argv.addAll(List.of("--gid", Integer.toString(spec.gid())));
        argv.addAll(List.of("--hostname", spec.hostname()));
        spec.readyPort().ifPresent(port -> argv.addAll(List.of("--ready-port", Integer.toString(port))));
        resultFile.ifPresent(file -> argv.addAll(List.of("--result-file", file.toString())));

        argv.add("--");
        argv.addAll(spec.argv());
        return List.copyOf(argv);
    }

    /** Kills and removes whatever sandbox {@code sandboxId} left behind when its helper died. */
    static List<String> cleanupArgv(Path helper, String sandboxId) {
        return List.of(helper.toString(), "--cleanup", sandboxId);
    }

    // Rounded up: a limit of 0.5 ms must not become "no time at all".
    private static long ceilMillis(Duration time) {
        long millis = time.toMillis();
        return time.equals(Duration.ofMillis(millis)) ? millis : millis + 1;
    }
}
