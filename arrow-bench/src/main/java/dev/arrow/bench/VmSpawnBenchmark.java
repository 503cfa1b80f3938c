package dev.arrow.bench;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Sandboxes;
import dev.arrow.sandbox.Stdio;
import dev.arrow.sandbox.vm.VmDriver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code arrow bench spawn --isolation vm}: the VM tier's start to the program's first output, cold
 * and from a snapshot, next to the process tier's prewarmed start and plain qemu booting the same
 * kernel and initramfs to init, in turns (every way once per round, always in the same order), and
 * an idle VM's memory beyond its guest's RAM. Each VM comes from a fresh {@link VmDriver}.
 */
final class VmSpawnBenchmark {

    /** Forces a cold boot when set to {@code off}; unset, the driver restores from its snapshot. */
    static final String SNAPSHOT_PROPERTY = "arrow.vm.snapshot";
    private static final SandboxSpec ECHO = SandboxSpec.builder("echo", "ready").build();
    private static final SandboxSpec IDLE = SandboxSpec.builder("sh", "-c", "echo ready; exec sleep 600")
            .limits(Limits.DEFAULT.withWallTime(Duration.ofMinutes(5))).build();
    private static final Duration PEER_LIMIT = Duration.ofSeconds(60);
    private static final Duration SETTLE = Duration.ofSeconds(1);
    private static final int POOL = 2;
    private static final String INIT_LINE = "arrow-bench-init ran";

    private final int rounds;
    private final int warmup;
    private final List<String> skipped = new ArrayList<>();
    private boolean measuring;

    VmSpawnBenchmark(int rounds, int warmup) {
        this.rounds = rounds;
        this.warmup = warmup;
    }

    private interface Way {
        /** One run's time in nanoseconds. */
        long run() throws Exception;
    }

    VmBenchReport measure() throws Exception {
        Optional<String> missing = VmDriver.unavailableReason();
        if (missing.isPresent()) {
            throw new ProcessFailedException("the VM tier cannot run here: " + missing.get());
        }
        String accel = VmDriver.create().accelerator();
        // A VM of the driver shows the peer what to boot: the same qemu, kernel, initramfs and command line.
        // A cold boot's, since a restore's qemu loads no kernel.
        Optional<QemuArgs> qemuArgs = withProperty(SNAPSHOT_PROPERTY, "off", () -> {
            try (Sandbox vm = VmDriver.create().start(ECHO, Stdio.DISCARD)) {
                Optional<QemuArgs> args = ProcessHandle.of(vm.pid()).flatMap(p -> p.info().arguments())
                        .flatMap(a -> QemuArgs.parse(Stream.concat(Stream.of(qemuProgram(vm)), Stream.of(a)).toList()))
                        .map(VmSpawnBenchmark::onTheHost);
                expectExit(vm.waitFor(), "the first VM");
                return args;
            }
        });

        SandboxDriver prewarmed = Sandboxes.newProcessDriver();
        prewarmed.prewarm(POOL);
        VmDriver pooled = VmDriver.create();
        pooled.prewarm(1);
        Path peerDir = Files.createTempDirectory("arrow-bench-qemu-");
        try {
            var ways = new java.util.LinkedHashMap<String, Way>();
            // One driver per way, made once, as a node keeps its own: a start is timed, not the driver's making.
            VmDriver coldDriver = withProperty(SNAPSHOT_PROPERTY, "off", VmDriver::create);
            VmDriver restoreDriver = withProperty(SNAPSHOT_PROPERTY, null, VmDriver::create);
            ways.put(VmBenchReport.COLD, () -> firstOutput(coldDriver, ECHO));
            ways.put(VmBenchReport.RESTORE, () -> firstOutput(restoreDriver, ECHO));
            ways.put(VmBenchReport.POOLED, () -> {
                awaitVmPool(pooled);
                return firstOutput(pooled, ECHO, result -> {
                    if (!result.prewarmed() && measuring) {
                        note(VmBenchReport.POOLED + ": a run found the pool empty, and started otherwise");
                    }
                });
            });
            ways.put(VmBenchReport.PREWARMED, () -> {
                awaitPool(prewarmed);
                return firstOutput(prewarmed, ECHO, result -> {
                    if (!result.prewarmed() && measuring) {
                        note(VmBenchReport.PREWARMED + ": a run found no prewarmed sandbox ready, and started cold");
                    }
                });
            });
            Optional<List<String>> peer = qemuArgs.map(args -> peerCommand(args, peerDir));
            if (peer.isPresent()) {
                ways.put(VmBenchReport.PLAIN_QEMU, () -> plainQemu(peer.get()));
            } else {
                skipped.add(VmBenchReport.PLAIN_QEMU + ": skipped (no -kernel, -initrd and -append on the VM's qemu to copy)");
            }
            var millis = new java.util.LinkedHashMap<String, double[]>();
            ways.keySet().forEach(way -> millis.put(way, new double[rounds]));
            var memory = new ArrayList<VmBenchReport.Memory>();
            System.err.printf(Locale.ROOT, "arrow bench spawn --isolation vm: %d ways in turns, %d warm-up and %d measured rounds (%s)%n",
                    ways.size(), warmup, rounds, accel);
            for (int round = 0; round < warmup + rounds; round++) {
                measuring = round >= warmup;
                for (Map.Entry<String, Way> way : ways.entrySet()) {
                    long nanos;
                    try {
                        nanos = way.getValue().run();
                    } catch (Exception e) {
                        throw new ProcessFailedException(way.getKey() + " failed: " + e.getMessage());
                    }
                    if (round >= warmup) {
                        millis.get(way.getKey())[round - warmup] = nanos / 1e6;
                    }
                }
                if (round >= warmup) {
                    idleMemory(accel).ifPresent(memory::add);
                }
                System.err.printf(Locale.ROOT, "round %d of %d done%n", round + 1, warmup + rounds);
            }
            var rows = new ArrayList<VmBenchReport.Row>();
            millis.forEach((way, values) -> rows.add(new VmBenchReport.Row(way,
                    way.equals(VmBenchReport.PREWARMED) ? "none" : accel, values)));
            return new VmBenchReport(rounds, warmup, rows, median(memory), skipped);
        } finally {
            prewarmed.prewarm(0);
            pooled.prewarm(0);
            try (Stream<Path> files = Files.walk(peerDir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    private static String qemuProgram(Sandbox vm) {
        return ProcessHandle.of(vm.pid()).flatMap(h -> h.info().command()).orElse("qemu-system-x86_64");
    }

    /** Runs {@code body} with a system property set ({@code null}: cleared), then restores it. */
    private static <T> T withProperty(String name, String value, java.util.concurrent.Callable<T> body) throws Exception {
        String before = System.getProperty(name);
        set(name, value);
        try {
            return body.call();
        } finally {
            set(name, before);
        }
    }

    private static void set(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    /** From {@code start} to the first byte on the program's stdout; then the sandbox must end with 0. */
    private static long firstOutput(SandboxDriver driver, SandboxSpec spec) throws Exception {
        return firstOutput(driver, spec, result -> { });
    }

    private static long firstOutput(SandboxDriver driver, SandboxSpec spec, java.util.function.Consumer<SandboxResult> check)
            throws Exception {
        long start = System.nanoTime();
        try (Sandbox sandbox = driver.start(spec, Stdio.PIPE)) {
            sandbox.stdin().close();
            InputStream stdout = sandbox.stdout();
            int first = stdout.read();
            long elapsed = System.nanoTime() - start;
            stdout.transferTo(OutputStream.nullOutputStream());
            SandboxResult result = sandbox.waitFor();
            if (first < 0) {
                throw new ProcessFailedException("no output; the sandbox ended with " + result.outcome());
            }
            expectExit(result, "the sandbox");
            check.accept(result);
            return elapsed;
        }
    }

    private static void expectExit(SandboxResult result, String what) throws ProcessFailedException {
        if (!(result.outcome() instanceof Outcome.Exited(int code) && code == 0)) {
            throw new ProcessFailedException(what + " ended with " + result.outcome());
        }
    }

    /** A restored VM waits in the pool: its restore is not part of the start measured. */
    private static void awaitVmPool(VmDriver driver) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (driver.prewarmStats().ready() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /**
     * The qemu's kernel and initramfs as the host names them: the VM's qemu runs in a sandbox that
     * sees the cache's directory elsewhere, so the files are found by their names (digests) in the cache.
     */
    private static QemuArgs onTheHost(QemuArgs args) {
        return new QemuArgs(args.qemu(), inCache(args.kernel()), inCache(args.initramfs()), args.kernelCommandLine(),
                args.memory(), args.accel());
    }

    private static Path inCache(Path file) {
        if (Files.isRegularFile(file)) {
            return file;
        }
        String explicit = System.getProperty("arrow.vm.cache");
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path root = explicit != null && !explicit.isBlank() ? Path.of(explicit)
                : (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
                        .resolve("arrow").resolve("vm");
        try (Stream<Path> found = Files.walk(root, 2)) {
            return found.filter(path -> path.getFileName().equals(file.getFileName())).findFirst().orElse(file);
        } catch (IOException e) {
            return file;
        }
    }

    private static void awaitPool(SandboxDriver driver) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (driver.prewarmStats().ready() < POOL && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /**
     * qemu as a user would script it to boot the VM tier's kernel and initramfs: the same machine,
     * RAM and command line, no devices but the serial console, and {@link TinyInit} appended to the
     * initramfs as init, which prints a line and powers off.
     */
    private static List<String> peerCommand(QemuArgs args, Path dir) {
        Path initramfs = dir.resolve("initramfs-with-init.cpio");
        try (OutputStream out = Files.newOutputStream(initramfs)) {
            Files.copy(args.initramfs(), out);
            out.write(TinyInit.archive(INIT_LINE + "\n"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return List.of(args.qemu().toString(), "-M", "microvm", "-accel", args.accel(),
                "-cpu", args.accel().equals("kvm") ? "host" : "max", "-m", args.memory(), "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", args.kernel().toString(), "-initrd", initramfs.toString(),
                "-append", args.commandLineWithInit(TinyInit.PATH), "-serial", "stdio");
    }

    /** From qemu's start to its init's line on the serial console. */
    private static long plainQemu(List<String> command) throws Exception {
        long start = System.nanoTime();
        Process qemu = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).start();
        try {
            var killer = Thread.ofVirtual().name("arrow-bench-qemu-limit").start(() -> {
                try {
                    if (!qemu.waitFor(PEER_LIMIT.toNanos(), TimeUnit.NANOSECONDS)) {
                        qemu.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            var lines = new ArrayList<String>();
            try (var reader = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.contains(INIT_LINE)) {
                        long elapsed = System.nanoTime() - start;
                        if (!qemu.waitFor(10, TimeUnit.SECONDS)) { // its init powers the machine off
                            throw new ProcessFailedException("plain qemu did not power off after its init ran");
                        }
                        killer.interrupt();
                        return elapsed;
                    }
                    lines.add(line);
                }
            }
            throw new ProcessFailedException("plain qemu ended without its init's line: "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size())));
        } finally {
            qemu.destroyForcibly();
            qemu.waitFor();
        }
    }

    /**
     * An idle VM (its program sleeps) a second after its first output: qemu's resident set without
     * its shared memory, which is the guest's RAM, and every virtiofsd process of the VM.
     */
    private Optional<VmBenchReport.Memory> idleMemory(String accel) throws Exception {
        List<Path> dirsBefore = vmDirectories();
        try (Sandbox vm = VmDriver.create().start(IDLE, Stdio.PIPE)) {
            vm.stdin().close();
            if (vm.stdout().read() < 0) {
                throw new ProcessFailedException("the idle VM printed nothing: " + vm.waitFor().outcome());
            }
            Thread.sleep(SETTLE);
            List<String> argv = ProcessHandle.of(vm.pid()).flatMap(h -> h.info().arguments()).map(List::of).orElse(List.of());
            // The VM's directory (its sockets, logs, RAM file) is the one that appeared for it.
            Optional<String> vmDir = vmDirectories().stream().filter(dir -> !dirsBefore.contains(dir)).findFirst()
                    .map(Path::toString);
            Map<String, Long> qemu = ProcStatus.read(vm.pid());
            if (vmDir.isEmpty() || qemu.isEmpty()) {
                note("idle VM memory: skipped (the VM's pid is no qemu with an arrow-vm directory)");
                return Optional.empty();
            }
            long virtiofsd = 0;
            int daemons = 0;
            for (ProcessHandle handle : ProcessHandle.allProcesses().toList()) {
                boolean ofThisVm = handle.info().command().map(c -> c.endsWith("virtiofsd")).orElse(false)
                        && handle.info().arguments().map(a -> String.join(" ", a).contains(vmDir.get())).orElse(false);
                if (ofThisVm) {
                    virtiofsd += ProcStatus.read(handle.pid()).getOrDefault("VmRSS", 0L);
                    daemons++;
                }
            }
            vm.kill();
            long shmem = qemu.getOrDefault("RssShmem", 0L);
            return Optional.of(new VmBenchReport.Memory(accel, QemuArgs.parse(Stream.concat(Stream.of("qemu"), argv.stream()).toList())
                    .map(QemuArgs::memory).orElse("?"), mib(qemu.getOrDefault("VmRSS", 0L) - shmem), mib(shmem), mib(virtiofsd), daemons));
        }
    }

    private static List<Path> vmDirectories() throws IOException {
        Path shared = Path.of("/dev/shm");
        if (!Files.isDirectory(shared)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(shared)) {
            return dirs.filter(dir -> dir.getFileName().toString().startsWith("arrow-vm-")).toList();
        }
    }

    private void note(String message) {
        if (!skipped.contains(message)) {
            skipped.add(message);
        }
    }

    private static double mib(long kib) {
        return kib / 1024.0;
    }

    private static Optional<VmBenchReport.Memory> median(List<VmBenchReport.Memory> samples) {
        if (samples.isEmpty()) {
            return Optional.empty();
        }
        VmBenchReport.Memory first = samples.getFirst();
        return Optional.of(new VmBenchReport.Memory(first.accel(), first.guestRam(),
                Timings.median(samples.stream().mapToDouble(VmBenchReport.Memory::qemuMiB).toArray()),
                Timings.median(samples.stream().mapToDouble(VmBenchReport.Memory::guestTouchedMiB).toArray()),
                Timings.median(samples.stream().mapToDouble(VmBenchReport.Memory::virtiofsdMiB).toArray()),
                first.virtiofsdProcesses()));
    }
}
