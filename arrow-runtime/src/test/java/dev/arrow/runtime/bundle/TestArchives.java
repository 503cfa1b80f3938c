package dev.arrow.runtime.bundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds real archives, entry by entry and exactly as told (no name clean-up), for tests. */
final class TestArchives {

    enum Type { FILE, DIR, SYMLINK, HARDLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO, SOCKET }

    /** One entry; {@code zeros > 0} makes a file of that many zero bytes, streamed. */
    record Entry(Type type, String name, byte[] content, long zeros, int mode, String link) {
    }

    private TestArchives() {
    }

    static Entry file(String name, String content) {
        return new Entry(Type.FILE, name, content.getBytes(StandardCharsets.UTF_8), 0, 0644, null);
    }

    static Entry file(String name, byte[] content, int mode) {
        return new Entry(Type.FILE, name, content, 0, mode, null);
    }

    static Entry executable(String name, String content) {
        return new Entry(Type.FILE, name, content.getBytes(StandardCharsets.UTF_8), 0, 0755, null);
    }

    static Entry zeros(String name, long size) {
        return new Entry(Type.FILE, name, new byte[0], size, 0644, null);
    }

    static Entry dir(String name) {
        return dir(name, 0755);
    }

    static Entry dir(String name, int mode) {
        return new Entry(Type.DIR, name, new byte[0], 0, mode, null);
    }

    static Entry symlink(String name, String target) {
        return new Entry(Type.SYMLINK, name, new byte[0], 0, 0777, target);
    }

    static Entry hardLink(String name, String target) {
        return new Entry(Type.HARDLINK, name, new byte[0], 0, 0644, target);
    }

    static Entry special(Type type, String name) {
        return new Entry(type, name, new byte[0], 0, 0644, null);
    }

    static byte[] archive(BundleUnpacker.Format format, Entry... entries) {
        return format == BundleUnpacker.Format.TAR_GZ ? tarGz(entries) : zip(entries);
    }

    static byte[] tarGz(Entry... entries) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (Entry e : entries) {
                    byte flag = switch (e.type()) {
                        case FILE -> TarConstants.LF_NORMAL;
                        case DIR -> TarConstants.LF_DIR;
                        case SYMLINK -> TarConstants.LF_SYMLINK;
                        case HARDLINK -> TarConstants.LF_LINK;
                        case CHAR_DEVICE -> TarConstants.LF_CHR;
                        case BLOCK_DEVICE -> TarConstants.LF_BLK;
                        case FIFO -> TarConstants.LF_FIFO;
                        case SOCKET -> throw new IllegalArgumentException("no sockets in tar");
                    };
                    TarArchiveEntry t = new TarArchiveEntry(e.name(), flag, true);
                    t.setMode(e.mode());
                    // Owners and times that differ from one archive to the next: they must not matter.
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    t.setUserId(random.nextInt(1, 60000));
                    t.setGroupId(random.nextInt(1, 60000));
                    t.setModTime(new Date(random.nextLong(0, 2_000_000_000_000L)));
                    if (e.link() != null) {
                        t.setLinkName(e.link());
                    }
                    long size = e.content().length + e.zeros();
                    t.setSize(size);
                    tar.putArchiveEntry(t);
                    write(tar, e);
                    tar.closeArchiveEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] zip(Entry... entries) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
                for (Entry e : entries) {
                    int typeBits = switch (e.type()) {
                        case FILE -> UnixStat.FILE_FLAG;
                        case DIR -> UnixStat.DIR_FLAG;
                        case SYMLINK -> UnixStat.LINK_FLAG;
                        case CHAR_DEVICE -> 0020000;
                        case BLOCK_DEVICE -> 0060000;
                        case FIFO -> 0010000;
                        case SOCKET -> 0140000;
                        case HARDLINK -> throw new IllegalArgumentException("no hard links in zip");
                    };
                    ZipArchiveEntry z = new ZipArchiveEntry(e.name());
                    z.setUnixMode(typeBits | e.mode());
                    z.setTime(ThreadLocalRandom.current().nextLong(315_532_800_000L, 2_000_000_000_000L));
                    zip.putArchiveEntry(z);
                    if (e.type() == Type.SYMLINK) {
                        zip.write(e.link().getBytes(StandardCharsets.UTF_8));
                    } else {
                        write(zip, e);
                    }
                    zip.closeArchiveEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(OutputStream out, Entry e) throws IOException {
        out.write(e.content());
        byte[] zeros = new byte[64 * 1024];
        for (long left = e.zeros(); left > 0; left -= zeros.length) {
            out.write(zeros, 0, (int) Math.min(zeros.length, left));
        }
    }

    static List<BundleUnpacker.Format> formats() {
        return List.of(BundleUnpacker.Format.values());
    }
}
