package dev.arrow.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the plain-qemu peer copies from a VM-tier qemu's command line: the same kernel, initramfs,
 * kernel command line, RAM and accelerator, so that it differs from Arrow's VM only in what Arrow
 * adds (devices, virtiofsd, the guest init's work).
 */
record QemuArgs(Path qemu, Path kernel, Path initramfs, String kernelCommandLine, String memory, String accel) {

    private static final Pattern VM_DIR = Pattern.compile("(/[^,\\s]*/arrow-vm-[^/,\\s]+)/");

    /** The parts of {@code argv} (the qemu program first); empty when one is missing. */
    static Optional<QemuArgs> parse(List<String> argv) {
        if (argv.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> kernel = after(argv, "-kernel");
        Optional<String> initramfs = after(argv, "-initrd");
        Optional<String> append = after(argv, "-append");
        if (kernel.isEmpty() || initramfs.isEmpty() || append.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new QemuArgs(Path.of(argv.getFirst()), Path.of(kernel.get()), Path.of(initramfs.get()),
                append.get(), after(argv, "-m").orElse("512M"), after(argv, "-accel").orElse("tcg")));
    }

    /** The kernel command line with {@code rdinit} pointing at {@code init} instead. */
    String commandLineWithInit(String init) {
        String others = String.join(" ", List.of(kernelCommandLine.strip().split("\\s+")).stream()
                .filter(word -> !word.startsWith("rdinit=") && !word.startsWith("init=")).toList());
        return others + " rdinit=/" + init;
    }

    /** The VM's private directory (its sockets and logs), as its qemu names it; empty when none. */
    static Optional<String> vmDirectory(List<String> argv) {
        for (String arg : argv) {
            Matcher matcher = VM_DIR.matcher(arg);
            if (matcher.find()) {
                return Optional.of(matcher.group(1));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> after(List<String> argv, String option) {
        int index = argv.indexOf(option);
        return index < 0 || index + 1 >= argv.size() ? Optional.empty() : Optional.of(argv.get(index + 1));
    }
}
