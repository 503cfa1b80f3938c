package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One VM: virtiofsd per share, qemu, and the threads that carry the guest init's ports. A VM is
 * booted cold (microvm, its shares attached at boot) or restored from a {@link Snapshot} (the
 * snapshot machine, its shares hot-plugged once it runs); a restored one may wait idle in the
 * driver's pool, {@code /usr} already mounted, until {@link #assign} gives it its spec. Everything
 * it made (processes, sockets, its RAM file, its temporary directory) is removed when the VM ends,
 * whatever the outcome; processes are ended by their own handles, never by name.
 */
final class VmSandbox implements Sandbox {

    private static final Duration POWER_OFF_GRACE = Duration.ofSeconds(5);
    // A guest that has not started the program by then hangs (a nested KVM can hang a stock kernel
    // early in its boot); TCG on a loaded host takes seconds, not a minute.
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(60);
    private static final Duration RESTORE_LIMIT = Duration.ofSeconds(30);
    private static final Path SHARED_MEMORY = Path.of("/dev/shm");

    private volatile long startNanos = System.nanoTime();
    private final Path dir;
    private final List<Process> daemons = new ArrayList<>();
    private final java.util.Map<String, QemuCommand.FsSocket> fsSockets = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, Process> fsDaemons = new java.util.HashMap<>();
    private boolean restored;
    private volatile boolean begun;
    private volatile SandboxSpec assigned;
    private volatile boolean listening;
    private final CountDownLatch portWatch = new CountDownLatch(1);
    private Path ramCopy;
    private Qmp qmp;
    private SocketChannel ctl;
    private SocketChannel portIn;
    private SocketChannel portOut;
    private SocketChannel portErr;
    private final List<AutoCloseableChannel> channels = new ArrayList<>();
    private final CompletableFuture<SandboxResult> result = new CompletableFuture<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final List<Thread> copiers = new ArrayList<>();
    private final List<SocketChannel> callerChannels = new ArrayList<>();
    private volatile boolean pipedOutput;
    private volatile long startedNanos;
    private volatile GuestResult guestResult;
    private volatile boolean timedOut;
    private volatile boolean killed;
    private volatile boolean bootTimedOut;
    private JailedQemu qemu;
    private OutputStream stdin = OutputStream.nullOutputStream();
    private InputStream stdout = InputStream.nullInputStream();
    private InputStream stderr = InputStream.nullInputStream();

    private interface AutoCloseableChannel extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    /** VMs still running: killed and removed when the JVM exits, so that none outlives it. */
    private static final java.util.Set<VmSandbox> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("arrow-vm-shutdown").unstarted(
                () -> LIVE.forEach(VmSandbox::cleanUp)));
    }

    private VmSandbox(Path dir) {
        this.dir = dir;
    }

    static VmSandbox start(VmHost host, GuestImage image, String accel, SandboxSpec spec, Stdio stdio)
            throws SandboxException {
        var vm = create();
        vm.settingUp("start", () -> {
            if (vm.checkShares(spec)) {
                vm.bootCold(host, image, accel, spec);
                vm.begin(spec, stdio);
            }
        });
        return vm;
    }

    /**
     * A VM restored from the snapshot, its shares hot-plugged, running the spec. A failure before
     * the guest has the request throws, and leaves nothing behind: the caller may boot cold instead.
     */
    static VmSandbox restore(VmHost host, Snapshot snapshot, String accel, SandboxSpec spec, Stdio stdio)
            throws SandboxException {
        var vm = create();
        vm.settingUp("restore", () -> {
            if (vm.checkShares(spec)) {
                vm.restoreGuest(host, snapshot, accel, VmRequest.shares(spec), spec.network());
                vm.begin(spec, stdio);
            }
        });
        return vm;
    }

    /** A VM restored and waiting for its spec, {@code /usr} mounted: what the driver's pool holds. */
    static VmSandbox restoreIdle(VmHost host, Snapshot snapshot, String accel) throws SandboxException {
        var vm = create();
        vm.settingUp("restore for the pool", () -> {
            vm.restoreGuest(host, snapshot, accel, List.of(), NetworkPolicy.NONE);
            vm.ctl.write(java.nio.ByteBuffer.wrap(VmRequest.encodePrepare()));
            String answer = readLine(vm.ctl);
            if (!"prepared".equals(answer)) {
                throw new IOException("the restored guest answered " + answer + ": " + tail(vm.dir.resolve("console.log")));
            }
        });
        return vm;
    }

    /** Whether an idle VM of the pool still runs. */
    boolean idleAlive() {
        return qemu != null && qemu.isAlive();
    }

    /** Gives an idle VM its spec: its shares are hot-plugged, the program starts. */
    void assign(VmHost host, SandboxSpec spec, Stdio stdio) throws SandboxException {
        startNanos = System.nanoTime();
        settingUp("start", () -> {
            if (checkShares(spec)) {
                for (VmRequest.Share share : VmRequest.shares(spec)) {
                    startVirtiofs(host, share.tag(), share.source(), share.writable());
                }
                plugShares(spec);
                begin(spec, stdio);
            }
        });
    }

    private interface SetUp {
        void run() throws IOException, InterruptedException;
    }

    /** Runs a step of the VM's setting up; a failure removes everything the VM made, then throws. */
    private void settingUp(String what, SetUp step) throws SandboxException {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            abandon();
            throw new SandboxException("cannot " + what + " the VM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon();
            throw new SandboxException("interrupted while setting up the VM (" + what + ")", e);
        }
    }

    private static VmSandbox create() throws SandboxException {
        Path dir;
        try {
            // In memory: a restored guest's RAM file lives here, which the kernel must never write back to disk.
            Path parent = Files.isDirectory(SHARED_MEMORY) && Files.isWritable(SHARED_MEMORY)
                    ? SHARED_MEMORY : Path.of(System.getProperty("java.io.tmpdir"));
            // Named by this JVM's pid: a JVM killed outright leaves its VMs' directories (its VMs end
            // with their jails), which a later start removes.
            dev.arrow.sandbox.internal.StaleDirectories.removeOfEndedProcesses(parent, "arrow-vm-");
            dir = Files.createTempDirectory(parent, "arrow-vm-" + ProcessHandle.current().pid() + "-", PRIVATE);
            jailOwns(dir);
        } catch (IOException e) {
            throw new SandboxException("cannot create the VM's directory: " + e.getMessage(), e);
        }
        var vm = new VmSandbox(dir);
        LIVE.add(vm);
        return vm;
    }

    private void abandon() {
        cleanUp();
        LIVE.remove(this);
    }

    /** False (the sandbox then has its result) when a mount is not a directory. */
    private boolean checkShares(SandboxSpec spec) {
        for (VmRequest.Share share : VmRequest.shares(spec)) {
            if (!Files.isDirectory(share.source())) {
                fail("bad-mount-source", "not a directory (the VM tier shares directories only): " + share.source());
                return false;
            }
        }
        return true;
    }

    private List<ServerSocketChannel> portServers(List<Path> paths) throws IOException {
        var servers = new ArrayList<ServerSocketChannel>();
        for (String name : List.of("ctl", "stdin", "stdout", "stderr")) {
            Path socket = dir.resolve(name + ".sock");
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            channels.add(server::close);
            server.bind(UnixDomainSocketAddress.of(socket));
            jailOwns(socket);
            servers.add(server);
            paths.add(inJail(socket));
        }
        return servers;
    }

    private void startQemu(VmHost host, QemuCommand command, List<ServerSocketChannel> servers, List<Mount> mounts,
            SandboxSpec spec, NetworkPolicy network) throws IOException, InterruptedException {
        var jailMounts = new ArrayList<Mount>(mounts);
        jailMounts.add(Mount.writable(dir, VM_IN_JAIL));
        qemu = JailedQemu.start(host.jail(), command.argv(), jailMounts, command.memoryMiB(), command.cpus(),
                spec != null && spec.limits().cpuMillis().isPresent(), network, VM_IN_JAIL + "/qemu.log");
        // A qemu that dies before it connects must not leave accept() waiting.
        qemu.onExit().thenRun(() -> servers.forEach(VmSandbox::closeQuietly));
        var ports = new ArrayList<SocketChannel>();
        for (ServerSocketChannel server : servers) {
            try {
                SocketChannel port = server.accept();
                if (ports.size() < 2) {
                    channels.add(port::close);
                } else {
                    callerChannels.add(port); // stdout, stderr
                }
                ports.add(port);
            } catch (IOException e) {
                qemu.waitFor();
                throw new IOException("qemu ended before it connected: " + tail(dir.resolve("qemu.log")), e);
            }
            server.close();
        }
        ctl = ports.get(0);
        portIn = ports.get(1);
        portOut = ports.get(2);
        portErr = ports.get(3);
    }

    private void bootCold(VmHost host, GuestImage image, String accel, SandboxSpec spec) throws IOException, InterruptedException {
        startVirtiofs(host, "usr", Path.of("/usr"), false);
        for (VmRequest.Share share : VmRequest.shares(spec)) {
            startVirtiofs(host, share.tag(), share.source(), share.writable());
        }
        var shares = new ArrayList<QemuCommand.FsSocket>();
        for (String tag : fsSockets.keySet()) {
            shares.add(awaitVirtiofs(tag));
        }
        var portPaths = new ArrayList<Path>();
        var servers = portServers(portPaths);
        var guest = GuestImage.inJail(image);
        startQemu(host, new QemuCommand(host.qemu(), accel, guest.kernel(), guest.initramfs(),
                QemuCommand.memoryMiB(spec.limits().memoryBytes()), QemuCommand.cpus(spec.limits().cpuMillis()),
                VmHost.tscKhz(), inJail(dir.resolve("console.log")), shares, portPaths, null,
                spec.network() == NetworkPolicy.HOST, spec.readyPort()), servers, GuestImage.jailMounts(image), spec, spec.network());
    }

    /**
     * qemu started waiting for a snapshot, on a copy of its RAM, the device state loaded, the shares
     * ({@code /usr} and these) hot-plugged, running: the guest init is where it was saved, reading its
     * control port. Each share's virtiofsd starts meanwhile.
     */
    private void restoreGuest(VmHost host, Snapshot snapshot, String accel, List<VmRequest.Share> shares,
            NetworkPolicy network) throws IOException, InterruptedException {
        restored = true;
        startVirtiofs(host, "usr", Path.of("/usr"), false);
        for (VmRequest.Share share : shares) {
            startVirtiofs(host, share.tag(), share.source(), share.writable());
        }
        ramCopy = dir.resolve("ram");
        // qemu starts on the RAM file at its full size while its pages are copied: qemu touches none
        // of them before the device state is loaded, which waits for the copy.
        try (var file = new java.io.RandomAccessFile(ramCopy.toFile(), "rw")) {
            file.setLength(Files.size(snapshot.ram()));
        }
        jailOwns(ramCopy);
        var copied = new CompletableFuture<Void>();
        Thread.ofVirtual().name("arrow-vm-ram-copy").start(() -> {
            try {
                SparseFiles.copyInto(snapshot.ram(), ramCopy);
                copied.complete(null);
            } catch (IOException | RuntimeException e) {
                copied.completeExceptionally(e);
            }
        });
        var portPaths = new ArrayList<Path>();
        var servers = portServers(portPaths);
        Path qmpSocket = dir.resolve("qmp.sock");
        var image = new GuestImage(snapshot.kernel(), snapshot.initramfs());
        var guest = GuestImage.inJail(image);
        var mounts = new ArrayList<>(GuestImage.jailMounts(image));
        mounts.add(Mount.readOnly(snapshot.state().getParent(), Snapshot.IN_JAIL));
        startQemu(host, new QemuCommand(host.qemu(), accel, guest.kernel(), guest.initramfs(),
                snapshot.memoryMiB(), snapshot.cpus(), VmHost.tscKhz(), inJail(dir.resolve("console.log")), List.of(), portPaths,
                new QemuCommand.Snapshotting(inJail(ramCopy), inJail(qmpSocket), true), network == NetworkPolicy.HOST,
                java.util.OptionalInt.empty()), servers, mounts, null, network);
        qmp = Qmp.connect(qmpSocket, qemu::isAlive, Duration.ofSeconds(10));
        qmp.execute("migrate-set-capabilities", Snapshot.ignoreShared());
        try {
            copied.get(RESTORE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("cannot copy the snapshot's RAM: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("copying the snapshot's RAM took over " + RESTORE_LIMIT.toSeconds() + " s");
        }
        qmp.execute("migrate-incoming", java.util.Map.of("uri", "exec:cat " + Snapshot.IN_JAIL + "/state"));
        long deadline = System.nanoTime() + RESTORE_LIMIT.toNanos();
        while (true) {
            Object status = qmp.execute("query-migrate", java.util.Map.of());
            String phase = Qmp.text(status, "status");
            if (phase.equals("completed")) {
                break;
            }
            if (phase.equals("failed") || phase.equals("cancelled") || System.nanoTime() > deadline) {
                throw new IOException("restoring the snapshot " + (phase.isEmpty() ? "timed out" : phase) + ": "
                        + Qmp.text(status, "error-desc") + " " + tail(dir.resolve("qemu.log")));
            }
            Thread.sleep(1);
        }
        // Plugged while the guest is paused, so that it finds the devices the moment it runs.
        plug("usr");
        for (VmRequest.Share share : shares) {
            plug(share.tag());
        }
        qmp.execute("cont", java.util.Map.of());
    }

    private static final String VM_IN_JAIL = "/vm";
    private static final java.nio.file.attribute.FileAttribute<?> PRIVATE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    /** Where the jailed qemu sees a file of this VM's directory. */
    private Path inJail(Path inDir) {
        return Path.of(VM_IN_JAIL).resolve(dir.relativize(inDir));
    }

    /** The jailed qemu runs as nobody: what it opens of the VM's directory is nobody's. */
    static void jailOwns(Path path) throws IOException {
        Files.setAttribute(path, "unix:uid", SandboxSpec.NOBODY);
        Files.setAttribute(path, "unix:gid", SandboxSpec.NOBODY);
    }

    /** Hot-plugs a running virtiofsd's share into the restored guest, which mounts it by its tag. */
    private void plug(String tag) throws IOException, InterruptedException {
        QemuCommand.FsSocket share = awaitVirtiofs(tag);
        var address = java.util.Map.of("type", "unix", "data", java.util.Map.of("path", share.socket().toString()));
        // share.socket() is the jail's path of it
        qmp.execute("chardev-add", java.util.Map.of("id", "fs-" + tag,
                "backend", java.util.Map.of("type", "socket", "data", java.util.Map.of("addr", address, "server", false))));
        qmp.execute("device_add", java.util.Map.of("driver", "vhost-user-fs-pci", "id", "fsdev-" + tag,
                "chardev", "fs-" + tag, "tag", tag));
    }

    private void plugShares(SandboxSpec spec) throws IOException, InterruptedException {
        for (VmRequest.Share share : VmRequest.shares(spec)) {
            plug(share.tag());
        }
    }

    /** Sends the request and starts what carries the VM to its end. */
    private void begin(SandboxSpec spec, Stdio stdio) throws IOException {
        assigned = spec;
        begun = true;
        if (restored && spec.readyPort().isPresent()) {
            // A restored qemu started before its spec was known: the program's port is forwarded now.
            qmp.execute("human-monitor-command", java.util.Map.of("command-line",
                    "hostfwd_add net0 " + QemuCommand.hostForward(spec.readyPort().getAsInt())));
        }
        ctl.write(java.nio.ByteBuffer.wrap(VmRequest.encode(spec)));

        spec.limits().wallTime().ifPresent(limit -> Thread.ofVirtual().name("arrow-vm-deadline").start(() -> {
            try {
                if (!qemu.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS)) {
                    timedOut = true;
                    qemu.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        Thread.ofVirtual().name("arrow-vm-boot-limit").start(() -> {
            try {
                if (!started.await(BOOT_LIMIT.toNanos(), TimeUnit.NANOSECONDS) && qemu.isAlive()) {
                    bootTimedOut = true;
                    qemu.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        SocketChannel control = ctl;
        Thread reader = Thread.ofPlatform().daemon().name("arrow-vm-control").start(() -> readControl(control));
        wireStdio(stdio, portIn, portOut, portErr);
        Thread.ofPlatform().daemon().name("arrow-vm-supervisor").start(() -> supervise(reader));
    }

    /** Starts one share's virtiofsd; {@link #awaitVirtiofs} waits for its socket. */
    private void startVirtiofs(VmHost host, String tag, Path source, boolean writable) throws IOException {
        Path socket = dir.resolve("fs-" + tag + ".sock");
        // Its namespace sandbox shows the daemon only the shared tree. The daemon runs as root and
        // qemu 7.2's has no read-only mode: a guest's root could remount its side read-write, so a
        // read-only share is a read-only bind mount in the daemon's own mount namespace.
        List<String> daemonArgv = List.of(host.virtiofsd().toString(), "--socket-path=" + socket,
                "-o", "source=" + source, "-o", "cache=always", "-o", "sandbox=namespace");
        Process daemon = new ProcessBuilder(VmHost.detached(writable ? daemonArgv : VmHost.readOnlyView(source, daemonArgv)))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(dir.resolve("virtiofsd-" + tag + ".log").toFile())
                .redirectErrorStream(true)
                .start();
        daemons.add(daemon);
        fsDaemons.put(tag, daemon);
        fsSockets.put(tag, new QemuCommand.FsSocket(tag, socket));
    }

    private QemuCommand.FsSocket awaitVirtiofs(String tag) throws IOException, InterruptedException {
        QemuCommand.FsSocket share = fsSockets.get(tag);
        Process daemon = fsDaemons.get(tag);
        while (!Files.exists(share.socket())) {
            if (!daemon.isAlive()) {
                throw new IOException("virtiofsd for " + tag + " ended: " + tail(dir.resolve("virtiofsd-" + tag + ".log")));
            }
            Thread.sleep(1);
        }
        jailOwns(share.socket());
        return new QemuCommand.FsSocket(tag, inJail(share.socket()));
    }

    private static String readLine(SocketChannel channel) throws IOException {
        var line = new StringBuilder();
        var one = java.nio.ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (channel.read(one) < 0) {
                return null;
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
    }

    private void wireStdio(Stdio stdio, SocketChannel in, SocketChannel out, SocketChannel err) throws IOException {
        // Stdin goes to the guest only once the program runs, and ends with a half-close: qemu drops
        // what it has not read yet when its socket hangs up entirely.
        InputStream stdinSource = switch (stdio) {
            case PIPE -> {
                Pipe pipe = Pipe.open();
                channels.add(pipe.sink()::close);
                channels.add(pipe.source()::close);
                stdin = Channels.newOutputStream(pipe.sink());
                yield Channels.newInputStream(pipe.source());
            }
            case INHERIT -> new FileInputStream(FileDescriptor.in);
            case DISCARD -> InputStream.nullInputStream();
        };
        Thread.ofPlatform().daemon().name("arrow-vm-stdin").start(() -> {
            try {
                started.await();
                if (startedNanos == 0) {
                    return;
                }
                stdinSource.transferTo(Channels.newOutputStream(in));
            } catch (IOException e) {
                // the VM ended
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    in.shutdownOutput();
                } catch (IOException e) {
                    // the VM ended
                }
            }
        });
        switch (stdio) {
            case PIPE -> {
                // The caller reads these after the end too: closed with the sandbox, not with the VM.
                pipedOutput = true;
                stdout = Channels.newInputStream(out);
                stderr = Channels.newInputStream(err);
            }
            case INHERIT -> {
                copiers.add(copy("arrow-vm-stdout", out, new FileOutputStream(FileDescriptor.out)));
                copiers.add(copy("arrow-vm-stderr", err, new FileOutputStream(FileDescriptor.err)));
            }
            case DISCARD -> {
                copiers.add(copy("arrow-vm-stdout", out, OutputStream.nullOutputStream()));
                copiers.add(copy("arrow-vm-stderr", err, OutputStream.nullOutputStream()));
            }
        }
    }

    private static Thread copy(String name, SocketChannel from, OutputStream to) {
        return Thread.ofPlatform().daemon().name(name).start(() -> {
            try (InputStream in = Channels.newInputStream(from)) {
                byte[] buffer = new byte[65536];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    to.write(buffer, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // the VM ended
            }
        });
    }

    private void readControl(SocketChannel ctl) {
        try (var lines = new BufferedReader(new InputStreamReader(Channels.newInputStream(ctl), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.equals("listening")) {
                    listening = true;
                    portWatch.countDown();
                } else if (line.equals("started")) {
                    startedNanos = System.nanoTime();
                    started.countDown();
                } else if (line.startsWith("result ")) {
                    guestResult = GuestResult.parse(line);
                    // The guest powers off by itself; one that does not is ended.
                    Thread.ofVirtual().name("arrow-vm-power-off").start(() -> {
                        try {
                            if (!qemu.waitFor(POWER_OFF_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                                qemu.destroyForcibly();
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // qemu ended, or a line the host does not know: the outcome then comes from qemu's end
        } finally {
            started.countDown();
        }
    }

    private void supervise(Thread control) {
        try {
            qemu.waitFor();
            control.join();
            for (Thread copier : copiers) {
                copier.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Duration wall = Duration.ofNanos(System.nanoTime() - startNanos);
        Duration setup = startedNanos == 0 ? Duration.ZERO : Duration.ofNanos(startedNanos - startNanos);
        GuestResult guest = guestResult;
        SandboxResult outcome;
        if (guest != null) {
            outcome = new SandboxResult(guest.outcome(), wall, guest.cpuUser(), guest.cpuSystem(), guest.peakMemoryBytes(), setup,
                    restored);
        } else if (timedOut) {
            outcome = new SandboxResult(new Outcome.TimedOut(), wall, Duration.ZERO, Duration.ZERO, 0, setup);
        } else if (bootTimedOut) {
            outcome = new SandboxResult(new Outcome.FailedToStart("setup-failed",
                    "the guest did not start the program within " + BOOT_LIMIT.toSeconds() + " s: " + tail(dir.resolve("console.log"))),
                    wall, Duration.ZERO, Duration.ZERO, 0, setup);
        } else if (killed) {
            outcome = new SandboxResult(new Outcome.Signaled(9), wall, Duration.ZERO, Duration.ZERO, 0, setup);
        } else {
            outcome = new SandboxResult(new Outcome.FailedToStart("setup-failed",
                    "the VM ended without a result: " + tail(dir.resolve("console.log")) + " " + tail(dir.resolve("qemu.log"))),
                    wall, Duration.ZERO, Duration.ZERO, 0, setup);
        }
        cleanUp();
        LIVE.remove(this);
        result.complete(outcome);
        portWatch.countDown();
    }

    private void fail(String reason, String detail) {
        cleanUp();
        LIVE.remove(this);
        started.countDown();
        Duration wall = Duration.ofNanos(System.nanoTime() - startNanos);
        result.complete(new SandboxResult(new Outcome.FailedToStart(reason, detail), wall, Duration.ZERO, Duration.ZERO, 0));
        portWatch.countDown();
    }

    private synchronized void cleanUp() {
        if (qemu != null) {
            qemu.close();
        }
        for (Process daemon : daemons) {
            daemon.destroyForcibly();
            waitQuietly(daemon);
        }
        if (qmp != null) {
            qmp.close();
        }
        if (ramCopy != null) {
            try {
                Files.deleteIfExists(ramCopy);
            } catch (IOException e) {
                // removed with the directory below, or already gone
            }
        }
        channels.forEach(VmSandbox::closeQuietly);
        if (!pipedOutput) {
            callerChannels.forEach(VmSandbox::closeQuietly);
        }
        dev.arrow.sandbox.internal.StaleDirectories.deleteTree(dir);
    }

    private static void waitQuietly(Process process) {
        boolean interrupted = false;
        while (true) {
            try {
                process.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing what is already closed
        }
    }

    static String tail(Path log) {
        try {
            String text = Files.readString(log).strip();
            return text.length() > 600 ? text.substring(text.length() - 600) : text;
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public long pid() {
        return qemu == null ? -1 : qemu.pid();
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public SandboxResult waitFor() throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the VM's supervisor failed", e.getCause());
        }
    }

    @Override
    public void kill() {
        killed = true;
        if (qemu != null) {
            qemu.destroyForcibly();
        }
    }

    /** Asks the guest init to send SIGINT to the program's process group. */
    @Override
    public void interrupt() {
        SocketChannel control = ctl;
        if (!begun || control == null) {
            kill();
            return;
        }
        synchronized (control) {
            try {
                control.write(java.nio.ByteBuffer.wrap("signal 2\n".getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                // the VM has ended
            }
        }
    }

    /** The guest init says when the program listens on the spec's ready port. */
    @Override
    public PortState awaitPort() throws InterruptedException {
        SandboxSpec spec = assigned;
        if (spec == null || spec.readyPort().isEmpty()) {
            return PortState.UNWATCHED;
        }
        portWatch.await();
        return listening && !result.isDone() ? PortState.LISTENING : PortState.ENDED;
    }

    /** qemu's jail's pid 1: its network namespace holds the ready port, forwarded into the guest. */
    @Override
    public java.util.OptionalLong namespacePid() throws InterruptedException {
        JailedQemu running = qemu;
        return running == null ? java.util.OptionalLong.empty() : running.namespacePid();
    }

    /** qemu's and the virtiofsd daemons' pids. */
    List<Long> processIds() {
        var pids = new ArrayList<Long>();
        if (qemu != null) {
            pids.add(qemu.pid());
        }
        daemons.forEach(daemon -> pids.add(daemon.pid()));
        return pids;
    }

    @Override
    public void close() {
        if (!begun && !result.isDone()) {
            abandon(); // an idle VM of the pool: nothing waits for its end
            return;
        }
        kill();
        try {
            waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        callerChannels.forEach(VmSandbox::closeQuietly);
    }
}
