package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * qemu in a process-tier sandbox of its own, as Firecracker's jailer runs its VMM: its own
 * namespaces (its network namespace is where the user-mode NIC's forwarded ports listen), a
 * cgroup bounding its memory (the guest's RAM plus qemu's own) and CPU (the vCPUs), seccomp, no
 * capabilities, the unprivileged user, and no host file but qemu's own (the host's /usr) and the
 * directories it is given. Its messages go to a log file of the VM.
 */
final class JailedQemu {

    /** Memory qemu needs beyond the guest's RAM: its code, TCG's translation cache, buffers. */
    static final long OVERHEAD_BYTES = 512L << 20;
    // qemu's threads: vCPUs, the main loop, RCU, and a pool of up to 64 I/O workers.
    private static final int PIDS = 256;

    private final Sandbox sandbox;
    private final CompletableFuture<SandboxResult> end = new CompletableFuture<>();

    private JailedQemu(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    /**
     * Starts qemu's argv (its paths as the jail sees them) with these mounts.
     *
     * @param cpuLimited whether the jail's CPU quota is the vCPUs (a spec with a CPU limit) or none
     */
    static JailedQemu start(SandboxDriver jail, List<String> argv, List<Mount> mounts, long memoryMiB, int cpus,
            boolean cpuLimited, NetworkPolicy network, String logInJail) throws IOException {
        Limits limits = Limits.DEFAULT.withMemoryBytes((memoryMiB << 20) + OVERHEAD_BYTES).withPids(PIDS);
        if (cpuLimited) {
            limits = limits.withCpuMillis(cpus * 1000);
        }
        // qemu's messages go to a file of the VM by the shell's redirection: its stdio stays /dev/null,
        // since a guest's virtio console ports never opened while qemu's stdin was a pipe.
        var command = new java.util.ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" 2>>" + logInJail + " >&2", "qemu"));
        command.addAll(argv);
        var spec = SandboxSpec.builder(command).limits(limits).network(network).user(SandboxSpec.NOBODY, SandboxSpec.NOBODY);
        mounts.forEach(spec::mount);
        Sandbox sandbox;
        try {
            sandbox = jail.start(spec.build(), Stdio.DISCARD);
        } catch (SandboxException e) {
            throw new IOException("cannot start qemu in its sandbox: " + e.getMessage(), e);
        }
        var qemu = new JailedQemu(sandbox);
        Thread.ofVirtual().name("arrow-vm-qemu-end").start(() -> {
            try {
                qemu.end.complete(sandbox.waitFor());
            } catch (InterruptedException e) {
                qemu.end.completeExceptionally(e);
            }
        });
        return qemu;
    }

    /** qemu's host pid (a process of the jail, whose pid 1 starts it), or the jail's own before qemu runs. */
    long pid() {
        try {
            OptionalLong jail = sandbox.namespacePid();
            if (jail.isEmpty()) {
                return sandbox.pid();
            }
            return java.util.stream.Stream.concat(ProcessHandle.of(jail.getAsLong()).stream(),
                            ProcessHandle.of(jail.getAsLong()).stream().flatMap(ProcessHandle::descendants))
                    .filter(process -> process.info().command().map(command -> command.contains("qemu-system")).orElse(false))
                    .mapToLong(ProcessHandle::pid)
                    .findFirst()
                    .orElse(jail.getAsLong());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return sandbox.pid();
        }
    }

    /** The jail's pid 1, whose network namespace holds the forwarded ports. */
    OptionalLong namespacePid() throws InterruptedException {
        return sandbox.namespacePid();
    }

    boolean isAlive() {
        return !end.isDone();
    }

    CompletableFuture<SandboxResult> onExit() {
        return end;
    }

    void waitFor() throws InterruptedException {
        try {
            end.get();
        } catch (ExecutionException e) {
            // ended all the same
        }
    }

    boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            end.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    void destroyForcibly() {
        sandbox.kill();
    }

    /** Ends qemu and releases the jail; waits for its end. */
    void close() {
        // Killed first: the jail's own close would wait for the thread that waits for its end.
        sandbox.kill();
        boolean interrupted = false;
        while (true) {
            try {
                waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        sandbox.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
