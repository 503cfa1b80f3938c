package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmKernelImageTest {

    @Test
    void theNewestCloudKernelByVersionNumbers(@TempDir Path boot) throws Exception {
        for (String name : new String[] {"vmlinuz-6.1.0-9-cloud-amd64", "vmlinuz-6.1.0-57-cloud-amd64",
                "vmlinuz-6.12.0-1-amd64", "vmlinuz-5.10.0-30-cloud-amd64", "config-6.1.0-99-cloud-amd64"}) {
            Files.writeString(boot.resolve(name), "");
        }

        var kernel = KernelImage.newest(boot).orElseThrow();

        assertThat(kernel.version()).isEqualTo("6.1.0-57-cloud-amd64");
        assertThat(kernel.bzImage()).isEqualTo(boot.resolve("vmlinuz-6.1.0-57-cloud-amd64"));
    }

    @Test
    void theElfComesOutOfAnLz4BzImage() throws Exception {
        byte[] elf = new byte[300_000];
        Arrays.fill(elf, (byte) 'k');
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        var block = new ByteArrayOutputStream();
        try (var lz4 = new BlockLZ4CompressorOutputStream(block)) {
            lz4.write(elf);
        }
        // The kernel's LZ4 legacy frame: magic, (size, block)..., then the uncompressed size.
        var payload = ByteBuffer.allocate(4 + 4 + block.size() + 4).order(ByteOrder.LITTLE_ENDIAN);
        payload.putInt(0x184C2102).putInt(block.size()).put(block.toByteArray()).putInt(elf.length);
        int setupSects = 3;
        int payloadOffset = 100;
        var image = ByteBuffer.allocate((setupSects + 1) * 512 + payloadOffset + payload.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        image.put(0x1f1, (byte) setupSects);
        image.putInt(0x202, 0x53726448);
        image.putInt(0x248, payloadOffset);
        image.putInt(0x24c, payload.capacity());
        image.put((setupSects + 1) * 512 + payloadOffset, payload.array());

        assertThat(KernelImage.extractElf(image.array())).hasValueSatisfying(found -> assertThat(found).isEqualTo(elf));
    }

    @Test
    void anUnknownCompressionBootsTheBzImageAsItIs() throws Exception {
        var image = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        image.put(0x1f1, (byte) 3);
        image.putInt(0x202, 0x53726448);
        image.putInt(0x248, 0);
        image.putInt(0x24c, 16);
        image.putInt(4 * 512, 0xfd377a58); // xz

        assertThat(KernelImage.extractElf(image.array())).isEmpty();
    }
}
