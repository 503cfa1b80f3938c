package dev.arrow.sandbox.vm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * The guest's initramfs: a cpio newc archive holding Arrow's guest init as {@code /init}, the
 * kernel modules it loads ({@code /arrow/modules/}, in the order of {@code /arrow/modules.list}),
 * the mount points, and {@code /bin}, {@code /sbin}, {@code /lib}, {@code /lib64} as symlinks
 * into the host's {@code /usr} (Debian is merged-usr) that the guest mounts over virtio-fs.
 */
final class Initramfs {

    static final List<String> DIRECTORIES = List.of("arrow", "arrow/modules", "dev", "etc", "proc", "sys", "tmp", "usr", "code");
    static final List<String> USR_LINKS = List.of("bin", "sbin", "lib", "lib64");

    /** A module to carry: its file name in the archive and its contents. */
    record Module(String fileName, byte[] contents) {
    }

    private Initramfs() {
    }

    static byte[] build(byte[] init, List<Module> modules) {
        var out = new ByteArrayOutputStream(init.length + (1 << 20));
        write(init, modules, out);
        return out.toByteArray();
    }

    static void write(byte[] init, List<Module> modules, OutputStream target) {
        try (var cpio = new CpioArchiveOutputStream(target, CpioConstants.FORMAT_NEW)) {
            for (String dir : DIRECTORIES) {
                entry(cpio, dir, CpioConstants.C_ISDIR | 0755, new byte[0]);
            }
            for (String link : USR_LINKS) {
                entry(cpio, link, CpioConstants.C_ISLNK | 0777, ("usr/" + link).getBytes(StandardCharsets.UTF_8));
            }
            // Enough of /etc for programs that look their user up; the host's /etc is never shared.
            entry(cpio, "etc/passwd", CpioConstants.C_ISREG | 0644,
                    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n"
                            .getBytes(StandardCharsets.UTF_8));
            entry(cpio, "etc/group", CpioConstants.C_ISREG | 0644,
                    "root:x:0:\nnogroup:x:65534:\n".getBytes(StandardCharsets.UTF_8));
            entry(cpio, "etc/hosts", CpioConstants.C_ISREG | 0644,
                    "127.0.0.1 localhost\n::1 localhost\n".getBytes(StandardCharsets.UTF_8));
            entry(cpio, "init", CpioConstants.C_ISREG | 0755, init);
            var list = new StringBuilder();
            var names = new ArrayList<String>();
            for (Module module : modules) {
                if (names.contains(module.fileName())) {
                    throw new IllegalArgumentException("two modules named " + module.fileName());
                }
                names.add(module.fileName());
                entry(cpio, "arrow/modules/" + module.fileName(), CpioConstants.C_ISREG | 0644, module.contents());
                list.append(module.fileName()).append('\n');
            }
            entry(cpio, "arrow/modules.list", CpioConstants.C_ISREG | 0644, list.toString().getBytes(StandardCharsets.UTF_8));
            cpio.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void entry(CpioArchiveOutputStream cpio, String name, int mode, byte[] data) throws IOException {
        var entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, data.length);
        entry.setMode(mode);
        entry.setNumberOfLinks((mode & CpioConstants.S_IFMT) == CpioConstants.C_ISDIR ? 2 : 1);
        entry.setTime(0); // the same archive from the same inputs
        cpio.putArchiveEntry(entry);
        cpio.write(data);
        cpio.closeArchiveEntry();
    }
}
