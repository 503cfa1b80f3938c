package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.internal.StaleDirectories;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A guest booted once (on the snapshot machine, with no share attached) and saved at the moment
 * its init waits for a request: the RAM as a sparse file, the devices' state apart (qemu's
 * migration with {@code x-ignore-shared}, so the stream holds no RAM). Every restore maps a copy of
 * the same RAM, so a VM starts without booting. One per kernel, init, qemu, accelerator and VM
 * shape, kept in the cache directory across runs.
 */
record Snapshot(Path ram, Path state, Path kernel, Path initramfs, long memoryMiB, int cpus) {

    /** Where a jailed qemu sees the snapshot's directory. */
    static final String IN_JAIL = "/snapshot";
    private static final String SOCKETS_IN_JAIL = "/vm";

    private static final Duration BOOT_LIMIT = Duration.ofSeconds(60);
    private static final Duration SAVE_LIMIT = Duration.ofSeconds(60);

    /** The snapshot for this shape: the one on disk, or a new one made now (one boot). */
    static Snapshot obtain(VmHost host, GuestImage image, String accel, long memoryMiB, int cpus)
            throws IOException, InterruptedException {
        Path dir = host.cacheRoot().resolve(host.kernel().version()).resolve("snapshot-" + key(host, image, accel, memoryMiB, cpus));
        var snapshot = new Snapshot(dir.resolve("ram"), dir.resolve("state"), image.kernel(), image.initramfs(), memoryMiB, cpus);
        if (Files.isRegularFile(snapshot.state()) && Files.isRegularFile(snapshot.ram())) {
            return snapshot;
        }
        synchronized (Snapshot.class) {
            if (Files.isRegularFile(snapshot.state()) && Files.isRegularFile(snapshot.ram())) {
                return snapshot;
            }
            Files.createDirectories(dir.getParent());
            Path temp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".");
            try {
                make(host, image, accel, memoryMiB, cpus, temp);
                try {
                    Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                    // another process made it first: use theirs
                }
            } finally {
                StaleDirectories.deleteTree(temp);
            }
        }
        return snapshot;
    }

    /** Removes a snapshot that failed to restore, so that the next start makes a new one. */
    void discard() {
        StaleDirectories.deleteTree(state.getParent());
    }

    private static void make(VmHost host, GuestImage image, String accel, long memoryMiB, int cpus, Path into)
            throws IOException, InterruptedException {
        try (var ram = new RandomAccessFile(into.resolve("ram").toFile(), "rw")) {
            ram.setLength(memoryMiB << 20);
        }
        VmSandbox.jailOwns(into);
        VmSandbox.jailOwns(into.resolve("ram"));
        // Unix socket paths are short (108 bytes): the sockets live in a directory of their own.
        Path sockets = Files.createTempDirectory("arrow-vm-snapshot-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        VmSandbox.jailOwns(sockets);
        var servers = new ArrayList<ServerSocketChannel>();
        var channels = new ArrayList<SocketChannel>();
        JailedQemu qemu = null;
        try {
            var portPaths = new ArrayList<Path>();
            for (String name : List.of("ctl", "stdin", "stdout", "stderr")) {
                Path socket = sockets.resolve(name + ".sock");
                ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(socket));
                VmSandbox.jailOwns(socket);
                servers.add(server);
                portPaths.add(Path.of(SOCKETS_IN_JAIL, name + ".sock"));
            }
            Path qmpSocket = sockets.resolve("qmp.sock");
            var guest = GuestImage.inJail(image);
            var command = new QemuCommand(host.qemu(), accel, guest.kernel(), guest.initramfs(), memoryMiB, cpus,
                    VmHost.tscKhz(), Path.of(IN_JAIL, "console.log"), List.of(), portPaths,
                    new QemuCommand.Snapshotting(Path.of(IN_JAIL, "ram"), Path.of(SOCKETS_IN_JAIL, "qmp.sock"), false));
            var mounts = new ArrayList<>(GuestImage.jailMounts(image));
            mounts.add(Mount.writable(into, IN_JAIL));
            mounts.add(Mount.writable(sockets, SOCKETS_IN_JAIL));
            JailedQemu started = JailedQemu.start(host.jail(), command.argv(), mounts, memoryMiB, cpus, false,
                    NetworkPolicy.NONE, IN_JAIL + "/qemu.log");
            qemu = started;
            started.onExit().thenRun(() -> servers.forEach(Snapshot::closeQuietly));
            for (ServerSocketChannel server : servers) {
                try {
                    channels.add(server.accept());
                } catch (IOException e) {
                    throw new IOException("qemu ended before it connected: " + VmSandbox.tail(into.resolve("qemu.log")), e);
                }
            }
            awaitReady(channels.get(0), started, into);
            try (Qmp qmp = Qmp.connect(qmpSocket, started::isAlive, Duration.ofSeconds(10))) {
                qmp.execute("stop", Map.of());
                qmp.execute("migrate-set-capabilities", ignoreShared());
                qmp.execute("migrate", Map.of("uri", "exec:cat > " + IN_JAIL + "/state"));
                long deadline = System.nanoTime() + SAVE_LIMIT.toNanos();
                while (true) {
                    Object status = qmp.execute("query-migrate", Map.of());
                    String phase = Qmp.text(status, "status");
                    if (phase.equals("completed")) {
                        break;
                    }
                    if (phase.equals("failed") || phase.equals("cancelled") || System.nanoTime() > deadline) {
                        throw new IOException("saving the snapshot " + phase + ": " + Qmp.text(status, "error-desc"));
                    }
                    Thread.sleep(2);
                }
                try {
                    qmp.execute("quit", Map.of());
                } catch (IOException e) {
                    // qemu may hang up before it answers
                }
            }
            if (!started.waitFor(10, TimeUnit.SECONDS)) {
                throw new IOException("qemu did not quit after saving the snapshot");
            }
        } finally {
            if (qemu != null) {
                qemu.close();
            }
            servers.forEach(Snapshot::closeQuietly);
            channels.forEach(Snapshot::closeQuietly);
            StaleDirectories.deleteTree(sockets);
        }
    }

    /** The guest init says {@code ready} on its control port when it waits for a request. */
    private static void awaitReady(SocketChannel ctl, JailedQemu qemu, Path into) throws IOException, InterruptedException {
        var line = CompletableFuture.supplyAsync(() -> {
            try {
                return new BufferedReader(new InputStreamReader(Channels.newInputStream(ctl), StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                return null;
            }
        }, command -> Thread.ofVirtual().name("arrow-vm-snapshot-ready").start(command));
        try {
            String ready = line.get(BOOT_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            if (!"ready".equals(ready)) {
                throw new IOException("the guest to snapshot did not get ready: " + VmSandbox.tail(into.resolve("console.log")));
            }
        } catch (TimeoutException e) {
            qemu.destroyForcibly();
            throw new IOException("the guest to snapshot was not ready within " + BOOT_LIMIT.toSeconds() + " s: "
                    + VmSandbox.tail(into.resolve("console.log")) + " " + VmSandbox.tail(into.resolve("qemu.log")));
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    static Map<String, ?> ignoreShared() {
        return Map.of("capabilities", List.of(Map.of("capability", "x-ignore-shared", "state", true)));
    }

    private static String key(VmHost host, GuestImage image, String accel, long memoryMiB, int cpus) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        // The kernel and initramfs are named by digests of what they are made of; a qemu upgrade
        // changes the device state's format, so its binary's size and time count too.
        String made = String.join("\n", image.kernel().getFileName().toString(), image.initramfs().getFileName().toString(),
                host.qemu().toString(), Long.toString(Files.size(host.qemu())),
                Long.toString(Files.getLastModifiedTime(host.qemu()).toMillis()), accel, Long.toString(memoryMiB),
                Integer.toString(cpus));
        return HexFormat.of().formatHex(digest.digest(made.getBytes(StandardCharsets.UTF_8)), 0, 8);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // already closed
        }
    }

}
