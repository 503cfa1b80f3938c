package dev.arrow.sandbox.vm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Copies a sparse file's data only: a snapshot's RAM file is mostly holes (the pages the guest never
 * touched), and each restored VM gets its own copy to write to.
 */
final class SparseFiles {

    private static final int O_RDONLY = 0;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final MethodHandle OPEN;
    private static final MethodHandle LSEEK;
    private static final MethodHandle CLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        OPEN = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        LSEEK = linker.downcallHandle(libc.find("lseek").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private SparseFiles() {
    }

    /** Makes {@code to} a copy of {@code from} of the same size, holes where {@code from} has holes. */
    static void copy(Path from, Path to) throws IOException {
        FileChannel.open(to, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING).close();
        copyInto(from, to);
    }

    /**
     * Writes {@code from}'s data into {@code to} at the same offsets and leaves the rest of {@code to}
     * as it is (a new file of the same size: holes), extending it to {@code from}'s size if shorter.
     */
    static void copyInto(Path from, Path to) throws IOException {
        int fd = open(from);
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            long size = in.size();
            long position = 0;
            while (position < size) {
                long data = lseek(fd, position, SEEK_DATA);
                if (data < 0) {
                    break; // only a hole is left (ENXIO)
                }
                long hole = Math.min(size, lseek(fd, data, SEEK_HOLE));
                for (long at = data; at < hole; ) {
                    at += in.transferTo(at, hole - at, out.position(at));
                }
                position = hole;
            }
            // The size, holes to the end: ftruncate through the channel.
            if (out.size() < size) {
                out.write(java.nio.ByteBuffer.allocate(1), size - 1);
            }
        } finally {
            close(fd);
        }
    }

    private static int open(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path.toString());
            int fd = (int) OPEN.invokeExact(name, O_RDONLY);
            if (fd < 0) {
                throw new IOException("cannot open " + path);
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }

    private static long lseek(int fd, long offset, int whence) throws IOException {
        try {
            return (long) LSEEK.invokeExact(fd, offset, whence);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }

    private static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            // nothing more to do
        }
    }
}
