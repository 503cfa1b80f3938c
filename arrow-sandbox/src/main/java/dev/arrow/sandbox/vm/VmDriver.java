package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The VM tier: each sandbox is a microVM (qemu {@code -M microvm}) booting the host's stock kernel
 * with Arrow's initramfs; the guest sees the host's {@code /usr} and the spec's mounts over
 * virtio-fs and runs the spec's program as its only workload. The same {@link SandboxSpec} as the
 * process tier, the same {@link SandboxResult}: the memory limit is the VM's RAM, the CPU quota
 * its vCPUs (whole cores), the wall-time limit kills the VM. KVM when a short probe boots with
 * it, software emulation (TCG) otherwise ({@code -Darrow.vm.accel=tcg|kvm} forces one).
 */
public final class VmDriver implements SandboxDriver {

    private static final Duration KVM_PROBE_LIMIT = Duration.ofSeconds(10);

    // The probe's verdict, per kernel, for the JVM's life: a hanging KVM costs its limit only once.
    private static final java.util.concurrent.ConcurrentMap<String, String> ACCELERATORS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final VmHost host;
    private final boolean snapshots = !"off".equals(System.getProperty("arrow.vm.snapshot", ""));
    private final VmPool pool = new VmPool(this::restoreIdle,
            new VmPool.Shape(QemuCommand.memoryMiB(java.util.OptionalLong.empty()), 1));
    private final java.util.Set<VmPool.Shape> unsnapshottable = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile String restoreProblem;
    private volatile String accelerator;
    private GuestImage image;

    private VmDriver(VmHost host) {
        this.host = host;
    }

    /** Why the VM tier cannot run on this host (qemu, virtiofsd, the kernel or the guest init missing), or empty. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(VmHost.find().reason());
    }

    /** @throws SandboxException when {@link #unavailableReason()} is not empty */
    public static VmDriver create() throws SandboxException {
        VmHost.Found found = VmHost.find();
        if (found.host() == null) {
            throw new SandboxException("the VM tier is not available: " + found.reason());
        }
        var driver = new VmDriver(found.host());
        int prewarm = Integer.getInteger("arrow.vm.prewarm", 0);
        if (prewarm > 0) {
            driver.prewarm(prewarm);
        }
        return driver;
    }

    /**
     * Starts a VM: from the pool when it holds one of the spec's shape, else restored from the
     * snapshot of that shape (made on first use: one boot), else booted cold, which is also what a
     * failed restore falls back to. {@code -Darrow.vm.snapshot=off} always boots cold. A VM that did
     * not boot for this spec says so in {@link SandboxResult#prewarmed()}.
     */
    @Override
    public Sandbox start(SandboxSpec spec, Stdio stdio) throws SandboxException {
        String accel = accelerator();
        if (snapshots) {
            var shape = new VmPool.Shape(QemuCommand.memoryMiB(spec.limits().memoryBytes()), QemuCommand.cpus(spec.limits().cpuMillis()));
            // The pool's VMs have no way out: a spec allowed the network is restored for itself.
            VmSandbox pooled = spec.network() == NetworkPolicy.NONE ? pool.take(shape) : null;
            if (pooled != null) {
                try {
                    pooled.assign(host, spec, stdio);
                    return pooled;
                } catch (SandboxException e) {
                    restoreProblem = e.getMessage(); // restore one instead
                }
            }
            Snapshot snapshot = snapshot(shape, accel);
            if (snapshot != null) {
                try {
                    return VmSandbox.restore(host, snapshot, accel, spec, stdio);
                } catch (SandboxException e) {
                    restoreProblem = e.getMessage();
                    snapshot.discard(); // made again at the next start
                }
            }
        }
        return VmSandbox.start(host, image(), accel, spec, stdio);
    }

    /** Keeps {@code sandboxes} restored VMs waiting (0 to {@value VmPool#MAX}), of the latest start's shape. */
    @Override
    public void prewarm(int sandboxes) {
        if (sandboxes > 0 && !snapshots) {
            throw new IllegalArgumentException("the VM pool needs snapshots (-Darrow.vm.snapshot is off)");
        }
        pool.resize(sandboxes);
    }

    @Override
    public PrewarmStats prewarmStats() {
        return pool.stats();
    }

    /**
     * Why the latest snapshot or restore failed (the VM then booted cold), or empty. A snapshot that
     * cannot be made is not tried again for that shape in this driver's life.
     */
    public Optional<String> snapshotProblem() {
        String problem = restoreProblem;
        return Optional.ofNullable(problem != null ? problem : pool.lastFailure());
    }

    private Snapshot snapshot(VmPool.Shape shape, String accel) {
        if (unsnapshottable.contains(shape)) {
            return null;
        }
        try {
            return Snapshot.obtain(host, image(), accel, shape.memoryMiB(), shape.cpus());
        } catch (IOException | SandboxException | RuntimeException e) {
            restoreProblem = "cannot make the snapshot: " + e.getMessage();
            unsnapshottable.add(shape);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private VmSandbox restoreIdle(VmPool.Shape shape) throws SandboxException {
        String accel = accelerator();
        Snapshot snapshot = snapshot(shape, accel);
        if (snapshot == null) {
            throw new SandboxException(restoreProblem == null ? "no snapshot" : restoreProblem);
        }
        return VmSandbox.restoreIdle(host, snapshot, accel);
    }

    /** {@code kvm} or {@code tcg}: what this driver's VMs run on. Probes KVM on first use, once per JVM and kernel. */
    public String accelerator() throws SandboxException {
        String known = accelerator;
        if (known != null) {
            return known;
        }
        synchronized (this) {
            String forced = System.getProperty("arrow.vm.accel", "");
            if (forced.equals("tcg") || forced.equals("kvm")) {
                accelerator = forced;
            } else if (accelerator == null) {
                String cached = ACCELERATORS.get(host.kernel().version());
                accelerator = cached != null ? cached : probeAccelerator();
                ACCELERATORS.putIfAbsent(host.kernel().version(), accelerator);
            }
            return accelerator;
        }
    }

    private String probeAccelerator() throws SandboxException {
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return "tcg";
        }
        // A nested KVM may open and still hang a stock kernel early in its boot: boot one for real.
        SandboxSpec probe = SandboxSpec.builder("true").limits(Limits.DEFAULT.withWallTime(KVM_PROBE_LIMIT)).build();
        try (Sandbox vm = VmSandbox.start(host, image(), "kvm", probe, Stdio.DISCARD)) {
            return vm.waitFor().outcome() instanceof Outcome.Exited(int code) && code == 0 ? "kvm" : "tcg";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "tcg";
        } catch (SandboxException e) {
            return "tcg";
        }
    }

    private synchronized GuestImage image() throws SandboxException {
        if (image == null) {
            try {
                image = GuestImage.prepare(host.kernel(), host.modulesRoot(), host.guestInit(), host.cacheRoot());
            } catch (IOException | RuntimeException e) {
                throw new SandboxException("cannot prepare the guest's kernel and initramfs: " + e.getMessage(), e);
            }
        }
        return image;
    }
}
