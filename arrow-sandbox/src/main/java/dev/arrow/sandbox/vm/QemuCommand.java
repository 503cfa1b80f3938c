package dev.arrow.sandbox.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * qemu's command line for one VM. A cold boot is {@code -M microvm} with virtio-mmio devices
 * (modern, since vhost-user-fs needs it), RAM as a shared memfd (virtiofsd maps it), the kernel
 * booted with a trimmed command line (microvm has no HPET or PM timer: without {@code
 * tsc_early_khz} the kernel hangs calibrating the TSC), one virtio-fs device per share, and the
 * four virtio-console ports of the guest init's protocol, each a Unix socket qemu connects to.
 * A VM that is snapshotted or restored is {@code -M pc} instead ({@link Snapshotting}): qemu 7.2
 * cannot migrate a VM with a virtio-fs device, so its shares are hot-plugged after the restore,
 * and microvm has no hot-plug.
 */
record QemuCommand(
        Path qemu, String accel, Path kernel, Path initramfs, long memoryMiB, int cpus, long tscKhz,
        Path consoleLog, List<FsSocket> shares, List<Path> ports, Snapshotting snapshotting, boolean network,
        java.util.OptionalInt forwardedPort) {

    /** The guest's address on the user-mode NIC, and the port of its init's relay to the program's port. */
    static final String GUEST_ADDRESS = "10.0.2.15";
    static final int RELAY_PORT = 1;

    /** The forwarded port of a guest's program, as qemu's {@code hostfwd_add} takes it. */
    static String hostForward(int port) {
        return "tcp:127.0.0.1:" + port + "-" + GUEST_ADDRESS + ":" + RELAY_PORT;
    }

    /**
     * A VM on the snapshot machine: its RAM is a file it shares (the snapshot's RAM, or a restored
     * VM's copy of it, which virtiofsd maps too), driven over QMP; {@code incoming} waits for a
     * snapshot's device state to be loaded.
     */
    record Snapshotting(Path ramFile, Path qmpSocket, boolean incoming) {
    }

    QemuCommand(Path qemu, String accel, Path kernel, Path initramfs, long memoryMiB, int cpus, long tscKhz,
            Path consoleLog, List<FsSocket> shares, List<Path> ports) {
        this(qemu, accel, kernel, initramfs, memoryMiB, cpus, tscKhz, consoleLog, shares, ports, null, false,
                java.util.OptionalInt.empty());
    }

    QemuCommand(Path qemu, String accel, Path kernel, Path initramfs, long memoryMiB, int cpus, long tscKhz,
            Path consoleLog, List<FsSocket> shares, List<Path> ports, Snapshotting snapshotting) {
        this(qemu, accel, kernel, initramfs, memoryMiB, cpus, tscKhz, consoleLog, shares, ports, snapshotting, false,
                java.util.OptionalInt.empty());
    }

    /** The guest init's ports, in the order of {@link #ports()}. */
    static final List<String> PORT_NAMES = List.of("arrow.ctl", "arrow.stdin", "arrow.stdout", "arrow.stderr");

    /** A virtio-fs share: its tag in the guest, and virtiofsd's socket. */
    record FsSocket(String tag, Path socket) {
    }

    QemuCommand {
        shares = List.copyOf(shares);
        ports = List.copyOf(ports);
        if (ports.size() != PORT_NAMES.size()) {
            throw new IllegalArgumentException("the guest init needs " + PORT_NAMES.size() + " ports");
        }
    }

    String kernelCommandLine() {
        // -Darrow.vm.verbose=true keeps the kernel's messages in the VM's console log, to see a boot go wrong.
        return "console=ttyS0 " + (Boolean.getBoolean("arrow.vm.verbose") ? "" : "quiet ") + "panic=-1 mitigations=off tsc=reliable lsm=capability tsc_early_khz=" + tscKhz
                + " rdinit=/init";
    }

    List<String> argv() {
        boolean microvm = snapshotting == null;
        var argv = new ArrayList<>(List.of(
                qemu.toString(),
                "-M", microvm ? "microvm" : "pc",
                "-accel", accel,
                "-cpu", accel.equals("kvm") ? "host" : "max",
                "-m", memoryMiB + "M",
                "-smp", Integer.toString(cpus),
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-object", microvm
                        ? "memory-backend-memfd,id=mem,size=" + memoryMiB + "M,share=on"
                        : "memory-backend-file,id=mem,size=" + memoryMiB + "M,share=on,mem-path=" + snapshotting.ramFile(),
                "-numa", "node,memdev=mem"));
        if (microvm) {
            argv.addAll(List.of("-global", "virtio-mmio.force-legacy=false"));
        } else {
            argv.addAll(List.of("-qmp", "unix:" + snapshotting.qmpSocket() + ",server=on,wait=off"));
            if (snapshotting.incoming()) {
                argv.addAll(List.of("-incoming", "defer"));
            }
        }
        argv.addAll(List.of(
                "-kernel", kernel.toString(),
                "-initrd", initramfs.toString(),
                "-append", kernelCommandLine(),
                "-chardev", "file,id=console,path=" + consoleLog,
                "-serial", "chardev:console"));
        for (int i = 0; i < shares.size(); i++) {
            FsSocket share = shares.get(i);
            argv.addAll(List.of(
                    "-chardev", "socket,id=fs" + i + ",path=" + share.socket(),
                    "-device", (microvm ? "vhost-user-fs-device" : "vhost-user-fs-pci") + ",chardev=fs" + i + ",tag=" + share.tag()));
        }
        // The user-mode NIC: restricted (no way out of the guest) unless the spec allows the network;
        // the forwarded port listens on 127.0.0.1 in qemu's own network namespace (its jail's).
        String netdev = "user,id=net0,restrict=" + (network ? "off" : "on")
                + forwardedPort.stream().mapToObj(port -> ",hostfwd=" + hostForward(port)).findFirst().orElse("");
        argv.addAll(List.of("-netdev", netdev, "-device", (microvm ? "virtio-net-device" : "virtio-net-pci") + ",netdev=net0"));
        argv.addAll(List.of("-device", (microvm ? "virtio-serial-device" : "virtio-serial-pci") + ",max_ports=" + (PORT_NAMES.size() + 1)));
        for (int i = 0; i < ports.size(); i++) {
            argv.addAll(List.of(
                    "-chardev", "socket,id=port" + i + ",path=" + ports.get(i),
                    "-device", "virtserialport,chardev=port" + i + ",name=" + PORT_NAMES.get(i)));
        }
        return argv;
    }

    /** The VM's RAM for a memory limit: the limit itself, at least what the kernel needs to boot. */
    static long memoryMiB(java.util.OptionalLong limitBytes) {
        long mib = limitBytes.isPresent() ? (limitBytes.getAsLong() + (1 << 20) - 1) >> 20 : 512;
        return Math.max(mib, 128);
    }

    /** vCPUs for a CPU quota in thousandths of a core: whole cores, rounded up, one at least. */
    static int cpus(java.util.OptionalInt cpuMillis) {
        return cpuMillis.isPresent() ? Math.max(1, (cpuMillis.getAsInt() + 999) / 1000) : 1;
    }
}
