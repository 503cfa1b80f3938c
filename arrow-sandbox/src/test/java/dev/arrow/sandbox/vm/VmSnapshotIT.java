package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arrow.sandbox.HostProcesses;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot restore, its cold-boot fallback and the pool of restored VMs, with the real qemu and
 * kernel, on a cache directory of the test's own.
 */
class VmSnapshotIT {

    @TempDir
    static Path cache;

    private static VmDriver driver;

    @BeforeAll
    static void driver() throws Exception {
        var missing = VmDriver.unavailableReason();
        missing.ifPresent(reason -> System.err.println("VmSnapshotIT skipped: " + reason));
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElseThrow());
        String before = System.getProperty("arrow.vm.cache");
        System.setProperty("arrow.vm.cache", cache.toString());
        try {
            driver = VmDriver.create();
        } finally {
            if (before == null) {
                System.clearProperty("arrow.vm.cache");
            } else {
                System.setProperty("arrow.vm.cache", before);
            }
        }
    }

    @AfterAll
    static void emptyThePool() {
        if (driver != null) {
            driver.prewarm(0);
        }
    }

    private record Run(SandboxResult result, String stdout) {
    }

    private static Run run(SandboxSpec spec) throws Exception {
        try (Sandbox vm = driver.start(spec, Stdio.PIPE)) {
            vm.stdin().close();
            String out = new String(vm.stdout().readAllBytes(), StandardCharsets.UTF_8);
            return new Run(vm.waitFor(), out);
        }
    }

    private static List<Path> snapshotStates() throws Exception {
        try (Stream<Path> files = Files.walk(cache)) {
            return files.filter(path -> path.getFileName().toString().equals("state")).toList();
        }
    }

    @Test
    void aVmIsRestoredFromTheSnapshotAndBootsColdWhenTheSnapshotIsBroken(@TempDir Path temp) throws Exception {
        List<Path> ramFilesBefore = ramFiles();
        Path code = Files.createDirectory(temp.resolve("code"));
        Files.writeString(code.resolve("main.sh"), "echo from code; cat /proc/cmdline | grep -c rdinit");
        SandboxSpec spec = SandboxSpec.builder("sh", "/code/main.sh").mount(Mount.readOnly(code, "/code")).build();

        Run restored = run(spec);

        assertThat(restored.result().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(restored.stdout()).isEqualTo("from code\n1\n");
        assertThat(restored.result().prewarmed()).as("restored from the snapshot: %s", driver.snapshotProblem()).isTrue();
        assertThat(snapshotStates()).hasSize(1);

        Files.write(snapshotStates().getFirst(), "not a migration stream".getBytes(StandardCharsets.UTF_8));
        Run cold = run(spec);

        assertThat(cold.result().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(cold.stdout()).isEqualTo("from code\n1\n");
        assertThat(cold.result().prewarmed()).as("booted cold").isFalse();
        assertThat(driver.snapshotProblem()).hasValueSatisfying(problem -> assertThat(problem).contains("restor"));

        Run again = run(spec);

        assertThat(again.result().prewarmed()).as("a new snapshot made after the broken one").isTrue();
        assertThat(again.stdout()).isEqualTo("from code\n1\n");
        assertThat(ramFiles()).as("every VM's RAM file removed").isSubsetOf(ramFilesBefore);
    }

    @Test
    void thePoolHoldsRestoredVmsThatTakeAShareWhenAssigned(@TempDir Path temp) throws Exception {
        Path code = Files.createDirectory(temp.resolve("code"));
        Files.writeString(code.resolve("data.txt"), "pooled");
        SandboxSpec spec = SandboxSpec.builder("cat", "/code/data.txt").mount(Mount.readOnly(code, "/code")).build();

        List<Path> ramFilesBefore = ramFiles();
        try {
            poolServes(spec, ramFilesBefore);
        } finally {
            driver.prewarm(0);
        }
    }

    private static void poolServes(SandboxSpec spec, List<Path> ramFilesBefore) throws Exception {
        driver.prewarm(1);
        await().atMost(Duration.ofSeconds(90)).until(() -> driver.prewarmStats().ready() == 1);
        List<Path> pooledRam = ramFiles().stream().filter(path -> !ramFilesBefore.contains(path)).toList();
        assertThat(pooledRam).as("the pooled VM's directory").hasSize(1);
        assertThat(HostProcesses.withMarker(pooledRam.getFirst().toString())).as("the pooled VM's virtiofsd").isNotEmpty();
        PrewarmStats stats = driver.prewarmStats();
        assertThat(stats.target()).isEqualTo(1);
        assertThat(stats.processes()).isGreaterThanOrEqualTo(2); // qemu and /usr's virtiofsd
        assertThat(stats.memoryBytes()).isPositive();

        Run pooled = run(spec);

        assertThat(pooled.result().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(pooled.stdout()).isEqualTo("pooled");
        assertThat(pooled.result().prewarmed()).isTrue();
        await().atMost(Duration.ofSeconds(90)).until(() -> driver.prewarmStats().ready() == 1); // refilled

        driver.prewarm(0);
        assertThat(driver.prewarmStats().ready()).isZero();
        assertThat(pooledRam.getFirst()).doesNotExist();
        assertThat(HostProcesses.withMarker(pooledRam.getFirst().toString())).isEmpty();
        assertThat(HostProcesses.withMarker("mem-path=/vm/ram")).as("no restored VM's qemu is left").isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> ramFilesBefore.containsAll(ramFiles()));
    }

    /** The VMs' directories in /dev/shm, each with a VM's RAM file when it was restored. */
    private static List<Path> ramFiles() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
            return files.filter(path -> path.getFileName().toString().startsWith("arrow-vm-")).toList();
        }
    }
}
