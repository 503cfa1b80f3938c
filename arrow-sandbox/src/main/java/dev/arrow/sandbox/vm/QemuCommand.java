package dev.arrow.sandbox.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * qemu's command line for one VM: {@code -M microvm} with virtio-mmio devices (modern, since
 * vhost-user-fs needs it), RAM as a shared memfd (virtiofsd maps it), the kernel booted with a
 * trimmed command line (microvm has no HPET or PM timer: without {@code tsc_early_khz} the kernel
 * hangs calibrating the TSC), one virtio-fs device per share, and the four virtio-console ports
 * of the guest init's protocol, each a Unix socket qemu connects to.
 */
record QemuCommand(
        Path qemu, String accel, Path kernel, Path initramfs, long memoryMiB, int cpus, long tscKhz,
        Path consoleLog, List<FsSocket> shares, List<Path> ports) {

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
        return "console=ttyS0 quiet panic=-1 mitigations=off tsc=reliable lsm=capability tsc_early_khz=" + tscKhz
                + " rdinit=/init";
    }

    List<String> argv() {
        var argv = new ArrayList<>(List.of(
                qemu.toString(),
                "-M", "microvm",
                "-accel", accel,
                "-cpu", accel.equals("kvm") ? "host" : "max",
                "-m", memoryMiB + "M",
                "-smp", Integer.toString(cpus),
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-object", "memory-backend-memfd,id=mem,size=" + memoryMiB + "M,share=on",
                "-numa", "node,memdev=mem",
                "-global", "virtio-mmio.force-legacy=false",
                "-kernel", kernel.toString(),
                "-initrd", initramfs.toString(),
                "-append", kernelCommandLine(),
                "-chardev", "file,id=console,path=" + consoleLog,
                "-serial", "chardev:console"));
        for (int i = 0; i < shares.size(); i++) {
            FsSocket share = shares.get(i);
            argv.addAll(List.of(
                    "-chardev", "socket,id=fs" + i + ",path=" + share.socket(),
                    "-device", "vhost-user-fs-device,chardev=fs" + i + ",tag=" + share.tag()));
        }
        argv.addAll(List.of("-device", "virtio-serial-device,max_ports=" + (PORT_NAMES.size() + 1)));
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
