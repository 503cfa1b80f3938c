package dev.arrow.platform.invocations;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.runtime.ExecInvoker;
import dev.arrow.runtime.OutputPolicy;
import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.vm.VmDriver;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A node's VM tier ({@code isolation: vm}): exec-mode invocations and http-mode instances in microVMs. Its driver is made on
 * first use, so that a node without qemu starts, and runs process-tier arrows, as before; it has a
 * driver of its own, so the process tier's prewarm pool never serves a VM arrow.
 */
public final class VmTier {

    /** Makes the tier's driver. */
    @FunctionalInterface
    public interface Opener {
        VmDriver open() throws SandboxException;
    }

    private final Supplier<Optional<String>> unavailableReason;
    private final Opener opener;
    private final OutputPolicy policy;
    private volatile Made made;
    private volatile int poolTarget;

    /** The made tier: its driver, its invoker, and what its VMs run on. */
    record Made(VmDriver driver, ExecInvoker invoker, String accelerator) {
    }

    /**
     * @param unavailableReason why the tier cannot run on this host, or empty
     * @param opener            makes the driver, once, on the first VM invocation
     * @param policy            how much output and log each invocation keeps
     */
    public VmTier(Supplier<Optional<String>> unavailableReason, Opener opener, OutputPolicy policy) {
        this.unavailableReason = Objects.requireNonNull(unavailableReason, "unavailableReason");
        this.opener = Objects.requireNonNull(opener, "opener");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** The VM tier of this host: {@link VmDriver}. */
    public static VmTier ofHost(OutputPolicy policy) {
        return new VmTier(VmDriver::unavailableReason, VmDriver::create, policy);
    }

    /**
     * Refuses, at deploy, a VM arrow this node cannot run; a process-tier arrow passes.
     *
     * @throws InvalidInputException naming {@code isolation} (or {@code network})
     */
    public void check(ArrowSpec spec) {
        if (spec.isolation() != Isolation.VM) {
            return;
        }
        Optional<String> why = unavailableReason.get();
        if (why.isPresent()) {
            throw new InvalidInputException("isolation", "this node cannot run isolation vm: " + why.get());
        }
    }

    /**
     * Keeps {@code vms} restored VMs waiting for VM arrows ({@link VmDriver#prewarm}); above 0, the driver is made now, on a thread of its own, rather than at the
     * first VM invocation. Nothing happens on a node without the VM tier.
     */
    public void prewarm(int vms) {
        poolTarget = vms;
        if (vms == 0) {
            Made now = made;
            if (now != null) {
                now.driver().prewarm(0);
            }
            return;
        }
        if (unavailableReason.get().isPresent()) {
            return;
        }
        Thread.ofVirtual().name("arrow-vm-tier-prewarm").start(() -> {
            try {
                open();
            } catch (SandboxException e) {
                // the first VM invocation says why
            }
        });
    }

    /** The VM pool now; {@link PrewarmStats#NONE} before the driver is made. */
    public PrewarmStats prewarmStats() {
        Made now = made;
        return now == null ? PrewarmStats.NONE : now.driver().prewarmStats();
    }

    /** {@code kvm} or {@code tcg} once the driver has been made; empty before. */
    public Optional<String> accelerator() {
        Made now = made;
        return now == null ? Optional.empty() : Optional.of(now.accelerator());
    }

    /** The tier's invoker and its accelerator, the driver made (and KVM probed) on the first call. */
    Made open() throws SandboxException {
        Made now = made;
        if (now != null) {
            return now;
        }
        synchronized (this) {
            if (made == null) {
                VmDriver driver = opener.open();
                made = new Made(driver, new ExecInvoker(driver, policy), driver.accelerator());
                if (poolTarget > 0) {
                    driver.prewarm(poolTarget);
                }
            }
            return made;
        }
    }
}
