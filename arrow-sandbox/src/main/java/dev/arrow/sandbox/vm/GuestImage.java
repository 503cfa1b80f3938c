package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.Mount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * What a VM boots: the kernel (its ELF when it could be unpacked, else the bzImage) and the
 * initramfs, cached under a directory per kernel version, each named by a digest of what it is
 * made of (the bzImage; the guest init and the modules), so that a rebuilt kernel or init makes new ones.
 */
record GuestImage(Path kernel, Path initramfs) {

    /**
     * What the guest init needs: the virtio-mmio transport (microvm), virtio-pci (the machine that is
     * snapshotted, whose shares are hot-plugged after a restore), the console ports, virtio-fs, the
     * user-mode NIC.
     */
    static final List<String> MODULES = List.of("virtio_mmio", "virtio_pci", "virtio_console", "virtiofs", "virtio_net");

    static synchronized GuestImage prepare(KernelImage.Kernel kernel, Path modulesRoot, Path guestInit, Path cacheRoot)
            throws IOException {
        Path dir = cacheRoot.resolve(kernel.version());
        Files.createDirectories(dir);
        // Named by the bzImage's digest too: a rebuilt kernel may keep its version string.
        byte[] bzImage = Files.readAllBytes(kernel.bzImage());
        Path elf = dir.resolve("vmlinux-" + HexFormat.of().formatHex(sha256().digest(bzImage), 0, 8));
        Path bootable = kernel.bzImage();
        if (Files.isRegularFile(elf)) {
            bootable = elf;
        } else {
            var extracted = KernelImage.extractElf(bzImage);
            if (extracted.isPresent()) {
                writeAtomically(elf, extracted.get());
                bootable = elf;
            }
        }
        Path moduleDir = modulesRoot.resolve(kernel.version());
        var deps = ModulesDep.parse(Files.readString(moduleDir.resolve("modules.dep")));
        Path builtinFile = moduleDir.resolve("modules.builtin");
        Set<String> builtin = Files.isRegularFile(builtinFile) ? ModulesDep.builtinNames(Files.readString(builtinFile)) : Set.of();
        var modules = new ArrayList<Initramfs.Module>();
        MessageDigest digest = sha256();
        byte[] init = Files.readAllBytes(guestInit);
        digest.update(init);
        for (String path : deps.loadOrder(MODULES, builtin)) {
            if (!path.endsWith(".ko")) {
                throw new IOException("compressed kernel modules are not supported yet: " + path);
            }
            byte[] contents = Files.readAllBytes(moduleDir.resolve(path));
            modules.add(new Initramfs.Module(path.substring(path.lastIndexOf('/') + 1), contents));
            digest.update(path.getBytes(StandardCharsets.UTF_8));
            digest.update(contents);
        }
        String key = HexFormat.of().formatHex(digest.digest(), 0, 8);
        Path initramfs = dir.resolve("initramfs-" + key + ".cpio");
        if (!Files.isRegularFile(initramfs)) {
            writeAtomically(initramfs, Initramfs.build(init, modules));
        }
        if (bootable.equals(elf)) {
            readableByAll(elf);
        }
        readableByAll(initramfs);
        return new GuestImage(bootable, initramfs);
    }

    /** The same image as a jailed qemu sees it, through {@link #jailMounts}. */
    static GuestImage inJail(GuestImage image) {
        return new GuestImage(Path.of(KERNEL_IN_JAIL).resolve(image.kernel().getFileName()),
                Path.of(INITRAMFS_IN_JAIL).resolve(image.initramfs().getFileName()));
    }

    /** The directories of the kernel and the initramfs, read-only in qemu's jail. */
    static List<Mount> jailMounts(GuestImage image) {
        return List.of(Mount.readOnly(image.kernel().getParent(), KERNEL_IN_JAIL),
                Mount.readOnly(image.initramfs().getParent(), INITRAMFS_IN_JAIL));
    }

    private static final String KERNEL_IN_JAIL = "/guest/kernel";
    private static final String INITRAMFS_IN_JAIL = "/guest/initramfs";

    /** The jailed qemu (nobody) reads them: nothing in them is secret, the kernel is the host's own. */
    private static void readableByAll(Path file) throws IOException {
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static void writeAtomically(Path target, byte[] data) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp");
        try {
            Files.write(temp, data);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
