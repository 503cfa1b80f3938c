package dev.arrow.cli;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Sandboxes;
import dev.arrow.sandbox.Stdio;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow run}: one program in one fresh sandbox, in the foreground. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        customSynopsis = "arrow run [OPTIONS] [--] COMMAND [ARG...]",
        description = {
            "Runs COMMAND in a fresh sandbox and exits with its status.",
            "The sandbox sees a read-only view of the host's system, a private /tmp, no network and no"
                    + " host files beyond --mount; the program runs as nobody (65534) unless --user says otherwise."
        },
        footerHeading = "%nExit status:%n",
        footer = {
            "  N      the program exited with N",
            "  128+N  the program was killed by signal N",
            "  124    timed out (--timeout)",
            "  137    out of memory (--memory)",
            "  123    too many processes (--pids)",
            "  127    COMMAND not found",
            "  126    COMMAND not executable",
            "  125    any other error: bad option, setup failure"
        })
final class RunCommand implements Callable<Integer> {

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Memory limit, swap off: bytes or k, m, g (e.g. 128m).")
    Long memoryBytes;

    @Option(names = "--cpus", paramLabel = "CPUS", converter = Converters.Cpus.class,
            description = "CPU quota in cores (e.g. 0.5).")
    Integer cpuMillis;

    @Option(names = "--pids", paramLabel = "N", description = "Limit on processes and threads.")
    Integer pids;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Converters.Time.class,
            description = "Wall-time limit: ms, s, m or h; a plain number is seconds (e.g. 10s).")
    Duration timeout;

    @Option(names = "--tmpfs-size", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Size of /tmp and /dev/shm (default: 64m).")
    Long tmpfsBytes;

    @Option(names = "--mount", paramLabel = "HOST:SANDBOX[:rw|:ro]", converter = Converters.MountSpec.class,
            description = "Show a host path inside the sandbox, read-only unless :rw. Repeatable.")
    List<Mount> mounts = new ArrayList<>();

    @Option(names = "--env", paramLabel = "NAME=VALUE", converter = Converters.Env.class,
            description = "Set an environment variable; only PATH and HOME=/tmp are set otherwise. Repeatable.")
    List<Converters.EnvVariable> env = new ArrayList<>();

    @Option(names = "--workdir", paramLabel = "DIR", defaultValue = "/",
            description = "Working directory inside the sandbox (default: ${DEFAULT-VALUE}).")
    String workdir;

    @Option(names = "--network", paramLabel = "none|host", defaultValue = "none",
            description = "none: loopback only (default); host: the host's network.")
    NetworkPolicy network;

    @Option(names = "--user", paramLabel = "UID[:GID]", converter = Converters.UserSpec.class,
            description = "Run as this user and group (default: 65534:65534, nobody).")
    Converters.User user;

    @Option(names = "--nofile", paramLabel = "N", description = "Limit on open files (default: 1024).")
    Integer openFiles;

    @Option(names = "--stats", description = "Afterwards, print the outcome and resource use as JSON on stderr.")
    boolean stats;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The program and its arguments.")
    List<String> command;

    @Override
    public Integer call() throws SandboxException, InterruptedException {
        SandboxSpec spec = spec();
        try (Sandbox sandbox = Sandboxes.processDriver().start(spec, Stdio.INHERIT)) {
            // If the JVM is told to stop (SIGTERM, SIGHUP), the sandbox must not outlive it.
            var killSandbox = new Thread(sandbox::close, "arrow-kill-sandbox");
            Runtime.getRuntime().addShutdownHook(killSandbox);
            SandboxResult result;
            try (var _ = Interrupts.ignore()) {
                result = sandbox.waitFor();
            } finally {
                removeShutdownHook(killSandbox);
            }
            if (stats) {
                System.err.println(result.toJson());
            }
            return result.outcome().exitStatus();
        }
    }

    private SandboxSpec spec() {
        Limits limits = Limits.DEFAULT;
        if (memoryBytes != null) {
            limits = limits.withMemoryBytes(memoryBytes);
        }
        if (cpuMillis != null) {
            limits = limits.withCpuMillis(cpuMillis);
        }
        if (pids != null) {
            limits = limits.withPids(pids);
        }
        if (openFiles != null) {
            limits = limits.withOpenFiles(openFiles);
        }
        if (tmpfsBytes != null) {
            limits = limits.withTmpfsBytes(tmpfsBytes);
        }
        if (timeout != null) {
            limits = limits.withWallTime(timeout);
        }
        SandboxSpec.Builder builder = SandboxSpec.builder(command)
                .limits(limits)
                .workdir(workdir)
                .network(network);
        mounts.forEach(builder::mount);
        env.forEach(variable -> builder.env(variable.name(), variable.value()));
        if (user != null) {
            builder.user(user.uid(), user.gid());
        }
        return builder.build();
    }

    private static void removeShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down, and the hook is killing the sandbox: nothing to undo.
        }
    }
}
