package dev.arrow.runtime.instances;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Sockets inside a sandbox's network namespace, which has no route from the host's. A socket
 * belongs to the namespace of the thread that creates it, so one dedicated platform thread joins
 * the sandbox's namespace (setns on a pidfd of its pid 1), creates the socket and joins the host's
 * again; the socket is then connected from any thread. A pidfd, unlike a pid, can never name a
 * later process, and setns on it fails once that process has died.
 */
final class NetworkNamespaces {

    private static final int CLONE_NEWNET = 0x40000000;
    private static final short POLLIN = 0x1;
    private static final int ESRCH = 3;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURED = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURED.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MethodHandle PIDFD_OPEN = function("pidfd_open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = function("setns",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle OPEN = function("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = function("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle POLL = function("poll",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    /** The only thread that ever leaves the host's network namespace, and only for a moment. */
    private static final ExecutorService JOINER = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("arrow-netns").factory());
    private static final int HOST_NETNS = hostNamespace();

    private NetworkNamespaces() {
    }

    /**
     * A pidfd of {@code pid}; -1 when that process has already ended (ESRCH), or an exception
     * naming why not. Close it with {@link #close}.
     */
    static int pidfd(long pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURED);
            int fd = (int) PIDFD_OPEN.invokeExact(state, (int) pid, 0);
            if (fd < 0) {
                int errno = errno(state);
                if (errno == ESRCH) {
                    return -1;
                }
                throw new IOException("pidfd_open(" + pid + "): errno " + errno);
            }
            return fd;
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the process of a pidfd still runs: a pidfd turns readable when it exits. */
    static boolean alive(int pidfd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(8, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, pidfd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            MemorySegment state = arena.allocate(CAPTURED);
            int ready = (int) POLL.invokeExact(state, pollfd, 1L, 0);
            return ready == 0;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CAPTURED), fd);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** An unconnected TCP socket in the network namespace of the process behind {@code pidfd}. */
    static SocketChannel socketIn(int pidfd) throws IOException {
        return onJoiner(() -> openIn(pidfd));
    }

    /**
     * The same made by the namespace thread while the caller goes on, with TCP_NODELAY set and in
     * non-blocking mode; the caller keeps {@code pidfd} open until the socket is made.
     */
    static CompletableFuture<SocketChannel> socketInLater(int pidfd) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return forConnect(openIn(pidfd));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, JOINER);
    }

    /** {@code channel} set up for a non-blocking connect to an instance (closed if it cannot be). */
    static SocketChannel forConnect(SocketChannel channel) throws IOException {
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.configureBlocking(false);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static SocketChannel openIn(int pidfd) throws IOException {
        join(pidfd, "the sandbox's");
        try {
            return SocketChannel.open();
        } finally {
            join(HOST_NETNS, "the host's");
        }
    }

    private static void join(int fd, String which) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURED);
            if ((int) SETNS.invokeExact(state, fd, CLONE_NEWNET) != 0) {
                int errno = errno(state);
                if (fd == HOST_NETNS) {
                    // A thread stuck in a sandbox's namespace would put later sockets there: stop now.
                    Runtime.getRuntime().halt(70);
                }
                throw new IOException("cannot join " + which + " network namespace: errno " + errno
                        + (errno == 3 ? " (the sandbox has ended)" : ""));
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T onJoiner(Callable<T> task) throws IOException {
        try {
            return JOINER.submit(task).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening a socket in a sandbox", e);
        }
    }

    private static int hostNamespace() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURED);
            // The joiner thread has not left the host's namespace yet: this is it.
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom("/proc/self/ns/net"), 0x80000 /* O_CLOEXEC */);
            if (fd < 0) {
                throw new IllegalStateException("cannot open /proc/self/ns/net: errno " + errno(state));
            }
            return fd;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor) {
        MemorySegment address = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("libc has no " + name + " (Linux 5.3 and glibc 2.36 needed)"));
        return LINKER.downcallHandle(address, descriptor, CAPTURE_ERRNO);
    }
}
