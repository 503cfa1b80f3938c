package dev.arrow.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.arrow.sandbox.HostProcesses;
import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The spawner's pool of prewarmed sandboxes (helper --serve SOCKET --prewarm 2), with the real helper. */
@Timeout(60)
class PrewarmIT extends SpawnerFixture {

    private static final int POOL = 2;

    PrewarmIT() {
        super(POOL);
    }

    private PrewarmStats awaitReady(int ready) throws IOException {
        await().atMost(Duration.ofSeconds(20)).until(() -> spawner.stats().ready() == ready);
        return spawner.stats();
    }

    @Test
    void statsTellWhatThePoolHoldsAndCosts() throws Exception {
        PrewarmStats stats = awaitReady(POOL);

        assertThat(stats.target()).isEqualTo(POOL);
        assertThat(stats.processes()).as("a supervisor and a pid 1 each").isEqualTo(2 * POOL);
        assertThat(stats.memoryBytes()).isGreaterThan(1L << 20);
        assertThat(ProcessHandle.of(spawner.pid()).orElseThrow().children()).hasSize(POOL);
        assertThat(warmCgroups()).hasSize(POOL);
    }

    @Test
    void aPrewarmedSandboxRunsItsOwnSpec() throws Exception {
        Path code = Files.createDirectory(dir.resolve("code"));
        Files.writeString(code.resolve("hello.txt"), "hello from /code\n");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(code, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(code.resolve("hello.txt"), PosixFilePermissions.fromString("rw-r--r--"));
        String script = "read line; echo \"stdin=$line\"; echo \"args=$0,$1\"; echo \"env=$GREETING\"; echo \"pwd=$(pwd)\";"
                + " cat hello.txt; if touch /code/new 2>/dev/null; then echo code=writable; else echo code=read-only; fi;"
                + " echo \"id=$(id -u):$(id -g)\"; echo \"host=$(hostname)\"; grep -c '^arrow:x:1234:2345:' /etc/passwd;"
                + " echo \"tmp=$(df -k /tmp | awk 'NR==2{print $2}')\"; echo \"shm=$(df -k /dev/shm | awk 'NR==2{print $2}')\";"
                + " echo to-stderr >&2";
        var spec = SandboxSpec.builder("sh", "-c", script, "first", "second")
                .env("GREETING", "hi")
                .workdir("/code")
                .mount(Mount.readOnly(code, "/code"))
                .user(1234, 2345)
                .hostname("warmhost")
                .limits(Limits.DEFAULT.withTmpfsBytes(8L << 20))
                .build();
        awaitReady(POOL);

        try (Sandbox sandbox = spawner.spawn(spec, Stdio.PIPE)) {
            sandbox.stdin().write("from-stdin\n".getBytes(StandardCharsets.UTF_8));
            sandbox.stdin().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(sandbox.stderr()));
            String out = new String(sandbox.stdout().readAllBytes(), StandardCharsets.UTF_8);
            SandboxResult result = sandbox.waitFor();

            assertThat(result.outcome()).as(err.get()).isEqualTo(new Outcome.Exited(0));
            assertThat(result.prewarmed()).isTrue();
            assertThat(result.setupTime()).isPositive();
            assertThat(out).isEqualTo("stdin=from-stdin\nargs=first,second\nenv=hi\npwd=/code\nhello from /code\n"
                    + "code=read-only\nid=1234:2345\nhost=warmhost\n1\ntmp=8192\nshm=8192\n");
            assertThat(err.get()).isEqualTo("to-stderr\n");
        }
    }

    @Test
    void theMemoryLimitIsEnforced() throws Exception {
        awaitReady(POOL);
        var spec = SandboxSpec.builder("python3", "-c", "x = []\nwhile True: x.append(bytearray(1 << 20))")
                .limits(Limits.DEFAULT.withMemoryBytes(64L << 20).withWallTime(Duration.ofSeconds(30)))
                .build();
        SandboxResult result = runToEnd(spec);

        assertThat(result.outcome()).isEqualTo(new Outcome.OutOfMemory());
        assertThat(result.prewarmed()).isTrue();
        assertThat(result.peakMemoryBytes()).isBetween(48L << 20, 64L << 20);
    }

    @Test
    void theTimeoutCountsFromTheAssignment() throws Exception {
        awaitReady(POOL);
        var spec = SandboxSpec.builder("sleep", "30").limits(Limits.DEFAULT.withWallTime(Duration.ofMillis(300))).build();
        SandboxResult result = runToEnd(spec);

        assertThat(result.outcome()).isEqualTo(new Outcome.TimedOut());
        assertThat(result.prewarmed()).isTrue();
        assertThat(result.wallTime()).isBetween(Duration.ofMillis(280), Duration.ofSeconds(3));
    }

    @Test
    void failuresComeBackAsFromAColdSandbox() throws Exception {
        awaitReady(POOL);
        SandboxResult missing = runToEnd(SandboxSpec.builder("no-such-command-anywhere").build());
        assertThat(missing.outcome()).isEqualTo(new Outcome.FailedToStart("command-not-found",
                "no-such-command-anywhere: command not found"));
        assertThat(missing.prewarmed()).isTrue();

        awaitReady(POOL);
        SandboxResult noWorkdir = runToEnd(SandboxSpec.builder("true").workdir("/no/such/dir").build());
        assertThat(noWorkdir.outcome()).isInstanceOfSatisfying(Outcome.FailedToStart.class,
                failed -> assertThat(failed.detail()).contains("/no/such/dir"));
        assertThat(noWorkdir.prewarmed()).isTrue();

        awaitReady(POOL);
        SandboxResult badMount = runToEnd(SandboxSpec.builder("true")
                .mount(Mount.readOnly(Path.of("/no/such/dir"), "/data")).build());
        assertThat(badMount.outcome()).isInstanceOfSatisfying(Outcome.FailedToStart.class,
                failed -> assertThat(failed.reason()).isEqualTo("bad-mount-source"));
        // refused before a sandbox was made of it: the pool supervisor removed its own
        awaitReady(POOL);
        assertThat(warmCgroups()).hasSize(POOL);
    }

    @Test
    void aSandboxWithPipedStdioGoesToASupervisorPreparedAheadAndABrokenOneIsReplaced() throws Exception {
        awaitReady(POOL);
        try (Sandbox first = spawner.spawn(SandboxSpec.builder("true").build(), Stdio.DISCARD)) {
            assertThat(first.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
        assertThat(spawner.hasPrepared()).as("only piped stdio is prepared for").isFalse();
        Thread.sleep(60); // one is prepared only after a spawn that came 50 ms or more after the one before
        try (Sandbox first = spawner.spawn(SandboxSpec.builder("true").build(), Stdio.PIPE)) {
            assertThat(first.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
        await().atMost(Duration.ofSeconds(5)).until(spawner::hasPrepared);
        long preparedPid = spawner.preparedPid();
        Thread.sleep(60);
        try (Sandbox second = spawner.spawn(SandboxSpec.builder("sh", "-c", "cat; echo err >&2; exit 4").build(), Stdio.PIPE)) {
            assertThat(second.pid()).as("served by the prepared supervisor").isEqualTo(preparedPid);
            second.stdin().write("piped\n".getBytes(StandardCharsets.UTF_8));
            second.stdin().close();
            assertThat(new String(second.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("piped\n");
            assertThat(new String(second.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("err\n");
            SandboxResult result = second.waitFor();
            assertThat(result.outcome()).isEqualTo(new Outcome.Exited(4));
            assertThat(result.prewarmed()).as("it held a sandbox of the pool").isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> spawner.hasPrepared() && spawner.preparedPid() != preparedPid);

        spawner.breakPrepared(); // its supervisor reads EOF and goes: the request must not be lost
        try (Sandbox third = spawner.spawn(SandboxSpec.builder("sh", "-c", "read line; echo \"$line\"; exit 3").build(),
                Stdio.PIPE)) {
            third.stdin().write("again\n".getBytes(StandardCharsets.UTF_8));
            third.stdin().close();
            assertThat(new String(third.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("again\n");
            assertThat(third.waitFor().outcome()).isEqualTo(new Outcome.Exited(3));
        }
    }

    @Test
    void thePoolRefillsAfterUse() throws Exception {
        awaitReady(POOL);
        for (int i = 0; i < POOL; i++) {
            assertThat(runToEnd(SandboxSpec.builder("true").build()).prewarmed()).isTrue();
        }
        awaitReady(POOL);
        assertThat(runToEnd(SandboxSpec.builder("true").build()).prewarmed()).isTrue();
    }

    @Test
    void cleanupFindsAPrewarmedSandboxByItsOwnId() throws Exception {
        awaitReady(POOL);
        String marker = "prewarm-cleanup-" + System.nanoTime();
        var sandbox = (SpawnedSandbox) spawner.spawn(SandboxSpec.builder("sh", "-c", "sleep 60", marker).build(), Stdio.DISCARD);
        try (sandbox) {
            await().until(() -> !HostProcesses.withMarker(marker).isEmpty());
            assertThat(cgroups()).contains(sandbox.id());

            Process cleanup = new ProcessBuilder(HelperCommand.cleanupArgv(helper, sandbox.id())).start();
            assertThat(cleanup.waitFor()).isZero();

            assertThat(HostProcesses.withMarker(marker)).isEmpty();
            SandboxResult result = sandbox.waitFor();
            assertThat(result.outcome()).isEqualTo(new Outcome.Signaled(9));
            assertThat(result.prewarmed()).isTrue();
        }
        assertThat(cgroups()).doesNotContain(sandbox.id());
    }

    @Test
    void hostNetworkingStartsCold() throws Exception {
        awaitReady(POOL);
        var spec = SandboxSpec.builder("readlink", "/proc/self/ns/net").network(NetworkPolicy.HOST).build();
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.PIPE)) {
            sandbox.stdin().close();
            String out = new String(sandbox.stdout().readAllBytes(), StandardCharsets.UTF_8).strip();
            SandboxResult result = sandbox.waitFor();

            assertThat(result.outcome()).isEqualTo(new Outcome.Exited(0));
            assertThat(result.prewarmed()).isFalse();
            assertThat(out).isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString());
        }
        // the pool supervisor that took it and went cold is replaced like any other
        awaitReady(POOL);
    }

    @Test
    void aDroppedConnectionKillsAPrewarmedSandbox() throws Exception {
        awaitReady(POOL);
        String marker = "prewarm-drop-" + System.nanoTime();
        var sandbox = (SpawnedSandbox) spawner.spawn(SandboxSpec.builder("sh", "-c", "sleep 60", marker).build(), Stdio.DISCARD);
        long init = sandbox.namespacePid().orElseThrow();
        await().until(() -> !HostProcesses.withMarker(marker).isEmpty());

        sandbox.dropConnection();

        await().atMost(Duration.ofSeconds(10)).until(() -> HostProcesses.withMarker(marker).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(init).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> !cgroups().contains(sandbox.id()));
        sandbox.close();
    }

    @Test
    void aPrewarmedSandboxThatDiesWhileWaitingIsReplaced() throws Exception {
        awaitReady(POOL);
        List<ProcessHandle> inits = prewarmedInits();
        assertThat(inits).hasSize(POOL);
        inits.getFirst().destroyForcibly();

        await().atMost(Duration.ofSeconds(20)).until(() -> !prewarmedInits().contains(inits.getFirst())
                && spawner.stats().ready() == POOL);
        assertThat(warmCgroups()).hasSize(POOL);
        assertThat(runToEnd(SandboxSpec.builder("true").build()).outcome()).isEqualTo(new Outcome.Exited(0));
    }

    @Test
    void closingTheSpawnerLeavesNothingOfThePool() throws Exception {
        awaitReady(POOL);
        List<ProcessHandle> supervisors = ProcessHandle.of(spawner.pid()).orElseThrow().children().toList();
        List<ProcessHandle> inits = prewarmedInits();
        assertThat(supervisors).hasSize(POOL);
        assertThat(inits).hasSize(POOL);
        long mountsBefore = HostProcesses.mountCount();

        spawner.close();

        assertThat(spawner.isAlive()).isFalse();
        assertThat(supervisors).noneMatch(ProcessHandle::isAlive);
        assertThat(inits).noneMatch(ProcessHandle::isAlive);
        assertThat(warmCgroups()).isEmpty();
        assertThat(HostProcesses.mountCount()).isEqualTo(mountsBefore);
    }

    @Test
    void aKilledPoolSupervisorLeavesNothingAndIsReplaced() throws Exception {
        awaitReady(POOL);
        ProcessHandle supervisor = ProcessHandle.of(spawner.pid()).orElseThrow().children().findFirst().orElseThrow();
        ProcessHandle init = supervisor.children().findFirst().orElseThrow();
        List<String> before = warmCgroups();

        supervisor.destroyForcibly();

        await().atMost(Duration.ofSeconds(10)).until(() -> !init.isAlive() && !supervisor.isAlive());
        await().atMost(Duration.ofSeconds(20)).until(() -> spawner.stats().ready() == POOL);
        List<String> after = warmCgroups();
        assertThat(after).hasSize(POOL);
        assertThat(before).as("the killed one's cgroup is gone, its replacement has a new one")
                .hasSize(POOL).isNotEqualTo(after);
        assertThat(List.copyOf(after)).containsAnyElementsOf(before);
    }

    @Test
    void aKilledSpawnerTakesItsPoolAlong() throws Exception {
        awaitReady(POOL);
        long spawnerPid = spawner.pid();
        List<ProcessHandle> supervisors = ProcessHandle.of(spawnerPid).orElseThrow().children().toList();
        List<ProcessHandle> inits = prewarmedInits();

        ProcessHandle.of(spawnerPid).orElseThrow().destroyForcibly();

        await().atMost(Duration.ofSeconds(10)).until(() -> supervisors.stream().noneMatch(ProcessHandle::isAlive)
                && inits.stream().noneMatch(ProcessHandle::isAlive));
        assertThat(cgroups()).noneMatch(name -> name.startsWith("warm-" + spawnerPid + "-"));
    }

    @Test
    void prewarmedSandboxesHoldNothingOfOtherSandboxes() throws Exception {
        awaitReady(POOL);
        try (Sandbox running = spawner.spawn(SandboxSpec.builder("sh", "-c", "read line").build(), Stdio.PIPE)) {
            assertThat(running.namespacePid()).isPresent();
            long runningSupervisor = running.pid();
            await().atMost(Duration.ofSeconds(20)).until(() -> spawner.stats().ready() == POOL && spawner.hasPrepared());
            long preparedSupervisor = spawner.preparedPid(); // it holds the next sandbox's stdio already

            List<ProcessHandle> supervisors = ProcessHandle.of(spawner.pid()).orElseThrow().children()
                    .filter(p -> p.pid() != runningSupervisor && p.pid() != preparedSupervisor).toList();
            assertThat(supervisors).hasSize(POOL);
            for (ProcessHandle supervisor : supervisors) {
                List<String> own = fdTargets(supervisor.pid());
                assertThat(own).as("supervisor %d", supervisor.pid())
                        .noneMatch(target -> target.startsWith(dir.toString()))
                        .filteredOn(target -> target.startsWith("socket:")).hasSize(2); // spawner, pid 1
                ProcessHandle init = supervisor.children().findFirst().orElseThrow();
                assertThat(fdTargets(init.pid())).as("pid 1 %d", init.pid())
                        .noneMatch(target -> target.startsWith(dir.toString()))
                        .filteredOn(target -> target.startsWith("socket:")).hasSize(1); // its supervisor
            }
            running.stdin().close();
            assertThat(running.waitFor().outcome()).isEqualTo(new Outcome.Exited(1));
        }
    }

    private static List<String> fdTargets(long pid) throws IOException {
        var targets = new ArrayList<String>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                targets.add(Files.readSymbolicLink(fd).toString());
            }
        }
        return targets;
    }

    @Test
    void thePoolCanBeResized() throws Exception {
        awaitReady(POOL);
        spawner.prewarm(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> spawner.stats().target() == 1 && spawner.stats().ready() == 1
                && warmCgroups().size() == 1);
        spawner.prewarm(3);
        PrewarmStats stats = awaitReady(3);
        assertThat(stats.target()).isEqualTo(3);
        assertThat(warmCgroups()).hasSize(3);
    }

    private SandboxResult runToEnd(SandboxSpec spec) throws Exception {
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.DISCARD)) {
            return sandbox.waitFor();
        }
    }

    /** The pid 1 of each sandbox waiting in the pool: the children of the spawner's children. */
    private List<ProcessHandle> prewarmedInits() {
        return ProcessHandle.of(spawner.pid()).orElseThrow().children()
                .flatMap(ProcessHandle::children)
                .toList();
    }

    /** This spawner's pool cgroups, in any hierarchy. */
    private List<String> warmCgroups() throws IOException {
        return cgroups().stream().filter(name -> name.startsWith("warm-" + spawner.pid() + "-")).toList();
    }

    /** Names of the sandbox cgroups in every hierarchy, each once. */
    private static List<String> cgroups() throws IOException {
        var names = new ArrayList<String>();
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path hierarchy : hierarchies.toList()) {
                Path root = hierarchy.resolve("arrow");
                if (Files.isDirectory(root)) {
                    try (Stream<Path> children = Files.list(root)) {
                        children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).forEach(names::add);
                    }
                }
            }
        }
        return names.stream().distinct().toList();
    }

    private static String drain(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
