package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuArgsTest {

    private static final List<String> ARGV = List.of("/usr/bin/qemu-system-x86_64", "-M", "microvm", "-accel", "tcg",
            "-m", "512M", "-kernel", "/c/vmlinux-1", "-initrd", "/c/initramfs-2.cpio",
            "-append", "console=ttyS0 quiet tsc_early_khz=2100000 rdinit=/init",
            "-chardev", "file,id=console,path=/tmp/arrow-vm-123/console.log");

    @Test
    void theKernelInitramfsCommandLineRamAndAcceleratorOfAVm() {
        QemuArgs args = QemuArgs.parse(ARGV).orElseThrow();

        assertThat(args).isEqualTo(new QemuArgs(Path.of("/usr/bin/qemu-system-x86_64"), Path.of("/c/vmlinux-1"),
                Path.of("/c/initramfs-2.cpio"), "console=ttyS0 quiet tsc_early_khz=2100000 rdinit=/init", "512M", "tcg"));
        assertThat(args.commandLineWithInit("arrow-bench-init"))
                .isEqualTo("console=ttyS0 quiet tsc_early_khz=2100000 rdinit=/arrow-bench-init");
    }

    @Test
    void nothingWithoutAKernelOrAnInitramfs() {
        assertThat(QemuArgs.parse(List.of("/usr/bin/qemu-system-x86_64", "-incoming", "defer"))).isEmpty();
        assertThat(QemuArgs.parse(List.of())).isEmpty();
    }

    @Test
    void theVmsDirectoryFromItsSocketsOrLogs() {
        assertThat(QemuArgs.vmDirectory(ARGV)).contains("/tmp/arrow-vm-123");
        assertThat(QemuArgs.vmDirectory(List.of("-m", "512M"))).isEmpty();
    }

    @Test
    void procStatusFiguresInKib() {
        assertThat(ProcStatus.parse(List.of("Name:\tqemu", "VmRSS:\t  140000 kB", "RssShmem:\t  100 kB", "Threads:\t4")))
                .containsExactly(java.util.Map.entry("VmRSS", 140000L), java.util.Map.entry("RssShmem", 100L));
    }
}
