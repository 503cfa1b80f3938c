package dev.arrow.sandbox.vm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The host's stock kernel: found in /boot, and its uncompressed ELF taken out of the bzImage, so
 * that qemu boots it straight through its PVH entry (no real-mode setup, no decompression in the
 * guest: about a second less under TCG).
 */
final class KernelImage {

    private static final Pattern VMLINUZ = Pattern.compile("vmlinuz-((\\d+)\\.(\\d+)\\.(\\d+)-(\\d+)-cloud-amd64)");
    private static final int LZ4_LEGACY_MAGIC = 0x184C2102;

    /** A kernel: its version (the name of its /lib/modules directory) and its bzImage. */
    record Kernel(String version, Path bzImage) {
    }

    private KernelImage() {
    }

    /** The newest {@code vmlinuz-*-cloud-amd64} in {@code boot}. */
    static Optional<Kernel> newest(Path boot) throws IOException {
        if (!Files.isDirectory(boot)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(boot)) {
            return files.map(file -> VMLINUZ.matcher(file.getFileName().toString()))
                    .filter(Matcher::matches)
                    .max(Comparator.<Matcher>comparingInt(m -> Integer.parseInt(m.group(2)))
                            .thenComparingInt(m -> Integer.parseInt(m.group(3)))
                            .thenComparingInt(m -> Integer.parseInt(m.group(4)))
                            .thenComparingInt(m -> Integer.parseInt(m.group(5))))
                    .map(m -> new Kernel(m.group(1), boot.resolve(m.group(0))));
        }
    }

    /**
     * The ELF inside a bzImage (boot protocol 2.08+: payload_offset and payload_length), or empty
     * when its compression is one this code does not read (the bzImage then boots as it is).
     */
    static Optional<byte[]> extractElf(byte[] bzImage) throws IOException {
        var header = ByteBuffer.wrap(bzImage).order(ByteOrder.LITTLE_ENDIAN);
        if (bzImage.length < 0x250 || header.getInt(0x202) != 0x53726448) { // "HdrS"
            return Optional.empty();
        }
        int setupSects = Byte.toUnsignedInt(bzImage[0x1f1]);
        int base = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        int offset = base + header.getInt(0x248);
        int length = header.getInt(0x24c);
        if (offset < 0 || length <= 0 || offset + length > bzImage.length) {
            return Optional.empty();
        }
        byte[] elf;
        if ((bzImage[offset] & 0xff) == 0x1f && (bzImage[offset + 1] & 0xff) == 0x8b) {
            try (InputStream in = new GzipCompressorInputStream(new ByteArrayInputStream(bzImage, offset, length))) {
                elf = in.readAllBytes();
            }
        } else if (header.getInt(offset) == LZ4_LEGACY_MAGIC) {
            elf = lz4Legacy(header, offset, length);
        } else {
            return Optional.empty();
        }
        boolean isElf = elf.length > 4 && elf[0] == 0x7f && elf[1] == 'E' && elf[2] == 'L' && elf[3] == 'F';
        return isElf ? Optional.of(elf) : Optional.empty();
    }

    /** The LZ4 legacy frame the kernel uses: the magic, then blocks of (u32 size, LZ4 block). */
    static byte[] lz4Legacy(ByteBuffer data, int offset, int length) throws IOException {
        var out = new ByteArrayOutputStream(length * 3);
        int pos = offset;
        int end = offset + length;
        while (pos + 4 <= end) {
            int size = data.getInt(pos);
            pos += 4;
            if (size == LZ4_LEGACY_MAGIC) {
                continue;
            }
            if (size <= 0 || pos + size > end) {
                break; // the uncompressed size the kernel appends, or the end
            }
            try (InputStream in = new BlockLZ4CompressorInputStream(new ByteArrayInputStream(data.array(), pos, size))) {
                in.transferTo(out);
            }
            pos += size;
        }
        return out.toByteArray();
    }
}
