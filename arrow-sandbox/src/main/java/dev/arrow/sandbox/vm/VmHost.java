package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.NativeProgram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the VM tier uses on this host: qemu, virtiofsd, the guest init, the stock kernel and its
 * modules, and the cache for the kernel's ELF and the initramfs.
 */
record VmHost(Path qemu, Path virtiofsd, Path guestInit, KernelImage.Kernel kernel, Path modulesRoot, Path cacheRoot) {

    static final NativeProgram GUEST_INIT = new NativeProgram("arrow-guest-init", "arrow.guestInit", "ARROW_GUEST_INIT");

    private static final List<String> QEMU = List.of("/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64");
    // qemu 7.2's C virtiofsd sits in its own package directory; later ones ship the Rust one elsewhere.
    private static final List<String> VIRTIOFSD = List.of(
            "/usr/lib/qemu/virtiofsd", "/usr/libexec/virtiofsd", "/usr/bin/virtiofsd", "/usr/libexec/qemu/virtiofsd");

    /** This host's, or why there is none. */
    static Found find() {
        if (!isRoot()) {
            // qemu 7.2's C virtiofsd needs root for its namespace sandbox and its pid file.
            return new Found(null, "the VM tier needs root for now (virtiofsd)");
        }
        Optional<Path> qemu = firstExecutable(QEMU);
        if (qemu.isEmpty()) {
            return new Found(null, "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)");
        }
        Optional<Path> virtiofsd = firstExecutable(VIRTIOFSD);
        if (virtiofsd.isEmpty()) {
            return new Found(null, "virtiofsd is not installed (looked in " + VIRTIOFSD + ")");
        }
        Optional<KernelImage.Kernel> kernel;
        try {
            kernel = KernelImage.newest(Path.of("/boot"));
        } catch (IOException e) {
            return new Found(null, "cannot list /boot: " + e.getMessage());
        }
        if (kernel.isEmpty() || !Files.isReadable(kernel.get().bzImage())) {
            return new Found(null, "no readable /boot/vmlinuz-*-cloud-amd64 (Debian: linux-image-cloud-amd64)");
        }
        Path init;
        try {
            init = GUEST_INIT.locate();
        } catch (IOException e) {
            return new Found(null, e.getMessage());
        }
        return new Found(new VmHost(qemu.get(), virtiofsd.get(), init, kernel.get(), Path.of("/lib/modules"), defaultCacheRoot()), null);
    }

    /** The process tier, which jails each qemu. */
    dev.arrow.sandbox.SandboxDriver jail() {
        return dev.arrow.sandbox.Sandboxes.processDriver();
    }

    /** A host, or the reason there is none. */
    record Found(VmHost host, String reason) {
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static Path defaultCacheRoot() {
        String explicit = System.getProperty("arrow.vm.cache");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("arrow").resolve("vm");
    }

    private static Optional<Path> firstExecutable(List<String> candidates) {
        return candidates.stream().map(Path::of).filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }

    /**
     * The argv of a process of the VM tier (qemu, virtiofsd), in a session of its own where
     * {@code setsid} is installed: a Ctrl-C on the caller's terminal reaches the caller alone, which
     * passes it to the guest's program, instead of ending qemu under it.
     */
    static List<String> detached(List<String> argv) {
        if (!Files.isExecutable(SETSID)) {
            return argv;
        }
        var detached = new java.util.ArrayList<String>(argv.size() + 1);
        detached.add(SETSID.toString());
        detached.addAll(argv);
        return detached;
    }

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    /**
     * The argv that runs {@code argv} in a mount namespace of its own where {@code source} is a
     * read-only bind mount of itself: writes through it fail whatever the process's privileges
     * (util-linux's {@code unshare} and {@code mount}).
     */
    static List<String> readOnlyView(Path source, List<String> argv) {
        var wrapped = new java.util.ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--propagation", "private",
                "/bin/sh", "-c", "mount --bind -o ro \"$0\" \"$0\" && exec \"$@\"", source.toString()));
        wrapped.addAll(argv);
        return wrapped;
    }

    /** The host's TSC rate in kHz as the guest's command line needs it, from /proc/cpuinfo. */
    static long tscKhz() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    return Math.round(Double.parseDouble(line.substring(line.indexOf(':') + 1).strip()) * 1000);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // below
        }
        return 2_000_000;
    }
}
