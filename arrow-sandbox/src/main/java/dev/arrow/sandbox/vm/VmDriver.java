package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
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
        return new VmDriver(found.host());
    }

    @Override
    public Sandbox start(SandboxSpec spec, Stdio stdio) throws SandboxException {
        if (spec.network() != NetworkPolicy.NONE) {
            throw new SandboxException("the VM tier has no network yet: use network none");
        }
        return VmSandbox.start(host, image(), accelerator(), spec, stdio);
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
