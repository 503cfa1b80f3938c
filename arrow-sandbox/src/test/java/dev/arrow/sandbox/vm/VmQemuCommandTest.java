package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class VmQemuCommandTest {

    private static QemuCommand command(String accel) {
        return new QemuCommand(Path.of("/usr/bin/qemu-system-x86_64"), accel, Path.of("/c/vmlinux"), Path.of("/c/initramfs.cpio"),
                256, 2, 2_096_001, Path.of("/d/console.log"),
                List.of(new QemuCommand.FsSocket("usr", Path.of("/d/fs-usr.sock")), new QemuCommand.FsSocket("m0", Path.of("/d/fs-m0.sock"))),
                List.of(Path.of("/d/ctl.sock"), Path.of("/d/stdin.sock"), Path.of("/d/stdout.sock"), Path.of("/d/stderr.sock")));
    }

    @Test
    void aMicrovmWithSharedMemfdRamAndModernVirtioMmio() {
        List<String> argv = command("tcg").argv();

        assertThat(String.join(" ", argv)).contains(
                "-M microvm -accel tcg -cpu max -m 256M -smp 2",
                "-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem",
                "-global virtio-mmio.force-legacy=false",
                "-kernel /c/vmlinux -initrd /c/initramfs.cpio",
                "-no-reboot");
        assertThat(argv.getFirst()).isEqualTo("/usr/bin/qemu-system-x86_64");
    }

    @Test
    void theKernelCommandLineCarriesTheTscRate() {
        String cmdline = command("tcg").kernelCommandLine();

        assertThat(cmdline).contains("tsc_early_khz=2096001", "quiet", "mitigations=off", "tsc=reliable", "lsm=capability",
                "panic=-1", "rdinit=/init");
    }

    @Test
    void oneVirtiofsDevicePerShareAndTheFourPortsByName() {
        String argv = String.join(" ", command("kvm").argv());

        assertThat(argv).contains("-accel kvm -cpu host",
                "-chardev socket,id=fs0,path=/d/fs-usr.sock -device vhost-user-fs-device,chardev=fs0,tag=usr",
                "-chardev socket,id=fs1,path=/d/fs-m0.sock -device vhost-user-fs-device,chardev=fs1,tag=m0",
                "-device virtserialport,chardev=port0,name=arrow.ctl",
                "-chardev socket,id=port2,path=/d/stdout.sock -device virtserialport,chardev=port2,name=arrow.stdout",
                "-device virtserialport,chardev=port3,name=arrow.stderr");
    }

    @Test
    void aVmToSnapshotOrRestoreIsAPcWithAFileForRamAndAControlSocket() {
        var ports = List.of(Path.of("/d/ctl.sock"), Path.of("/d/stdin.sock"), Path.of("/d/stdout.sock"), Path.of("/d/stderr.sock"));
        var saving = new QemuCommand(Path.of("/q"), "tcg", Path.of("/c/vmlinux"), Path.of("/c/initramfs.cpio"), 256, 1, 2_096_001,
                Path.of("/d/console.log"), List.of(), ports, new QemuCommand.Snapshotting(Path.of("/s/ram"), Path.of("/d/qmp.sock"), false));
        var restoring = new QemuCommand(Path.of("/q"), "tcg", Path.of("/c/vmlinux"), Path.of("/c/initramfs.cpio"), 256, 1, 2_096_001,
                Path.of("/d/console.log"), List.of(), ports, new QemuCommand.Snapshotting(Path.of("/dev/shm/vm.ram"), Path.of("/d/qmp.sock"), true));

        String saved = String.join(" ", saving.argv());
        assertThat(saved).contains("-M pc ",
                "-object memory-backend-file,id=mem,size=256M,share=on,mem-path=/s/ram -numa node,memdev=mem",
                "-qmp unix:/d/qmp.sock,server=on,wait=off",
                "-device virtio-serial-pci,max_ports=5");
        assertThat(saved).doesNotContain("-incoming", "virtio-mmio", "vhost-user-fs");
        assertThat(String.join(" ", restoring.argv())).contains("mem-path=/dev/shm/vm.ram", "-incoming defer",
                "-kernel /c/vmlinux -initrd /c/initramfs.cpio");
    }

    @Test
    void memoryIsTheLimitWithAFloorAndCpusAreWholeCores() {
        assertThat(QemuCommand.memoryMiB(OptionalLong.of(300L << 20))).isEqualTo(300);
        assertThat(QemuCommand.memoryMiB(OptionalLong.of((300L << 20) + 1))).isEqualTo(301);
        assertThat(QemuCommand.memoryMiB(OptionalLong.of(16L << 20))).isEqualTo(128);
        assertThat(QemuCommand.memoryMiB(OptionalLong.empty())).isEqualTo(512);
        assertThat(QemuCommand.cpus(OptionalInt.empty())).isEqualTo(1);
        assertThat(QemuCommand.cpus(OptionalInt.of(250))).isEqualTo(1);
        assertThat(QemuCommand.cpus(OptionalInt.of(1500))).isEqualTo(2);
    }
}
