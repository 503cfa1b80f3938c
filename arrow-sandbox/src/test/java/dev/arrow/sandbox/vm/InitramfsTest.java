package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.Test;

class InitramfsTest {

    private record Entry(long mode, String contents) {
    }

    private static Map<String, Entry> read(byte[] archive) throws Exception {
        var entries = new LinkedHashMap<String, Entry>();
        try (var cpio = new CpioArchiveInputStream(new ByteArrayInputStream(archive))) {
            for (CpioArchiveEntry entry; (entry = cpio.getNextCPIOEntry()) != null; ) {
                assertThat(entry.getFormat()).isEqualTo(CpioConstants.FORMAT_NEW);
                entries.put(entry.getName(), new Entry(entry.getMode(), new String(cpio.readAllBytes(), StandardCharsets.UTF_8)));
            }
        }
        return entries;
    }

    @Test
    void holdsTheInitTheModulesInOrderAndTheUsrLinks() throws Exception {
        byte[] archive = Initramfs.build("INIT".getBytes(StandardCharsets.UTF_8), List.of(
                new Initramfs.Module("virtio_ring.ko", "ring".getBytes(StandardCharsets.UTF_8)),
                new Initramfs.Module("virtio.ko", "virtio".getBytes(StandardCharsets.UTF_8))));

        Map<String, Entry> entries = read(archive);

        assertThat(entries.get("init")).isEqualTo(new Entry(CpioConstants.C_ISREG | 0755, "INIT"));
        assertThat(entries.get("arrow/modules/virtio_ring.ko")).isEqualTo(new Entry(CpioConstants.C_ISREG | 0644, "ring"));
        assertThat(entries.get("arrow/modules.list").contents()).isEqualTo("virtio_ring.ko\nvirtio.ko\n");
        assertThat(entries.get("lib64")).isEqualTo(new Entry(CpioConstants.C_ISLNK | 0777, "usr/lib64"));
        assertThat(entries.get("bin")).isEqualTo(new Entry(CpioConstants.C_ISLNK | 0777, "usr/bin"));
        for (String dir : List.of("proc", "sys", "dev", "usr", "tmp", "code")) {
            assertThat(entries.get(dir).mode()).as(dir).isEqualTo(CpioConstants.C_ISDIR | 0755);
        }
        // A directory comes before what it holds: the kernel's unpacker does not create parents.
        assertThat(List.copyOf(entries.keySet()).indexOf("arrow/modules"))
                .isLessThan(List.copyOf(entries.keySet()).indexOf("arrow/modules/virtio.ko"));
        assertThat(entries.get("etc/passwd").contents()).contains("nobody:x:65534:65534:");
    }

    @Test
    void theSameInputsMakeTheSameArchive() {
        byte[] init = {1, 2, 3};
        var modules = List.of(new Initramfs.Module("fuse.ko", new byte[] {4}));

        assertThat(Initramfs.build(init, modules)).isEqualTo(Initramfs.build(init, modules));
    }
}
