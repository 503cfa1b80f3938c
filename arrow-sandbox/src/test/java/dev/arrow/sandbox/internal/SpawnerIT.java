package dev.arrow.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arrow.sandbox.HostProcesses;
import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The spawner (helper --serve) with the real helper: the path every node sandbox takes. With
 * {@code -Darrow.prewarm=N} the spawner keeps N prewarmed sandboxes, which must change nothing.
 */
@Timeout(60)
class SpawnerIT extends SpawnerFixture {

    private static final int PREWARM = Integer.getInteger("arrow.prewarm", 0);

    SpawnerIT() {
        super(PREWARM);
    }

    @Test
    void pipesStdioAndReportsTheResultOnTheConnection() throws Exception {
        try (Sandbox sandbox = spawner.spawn(SandboxSpec.builder("sh", "-c", "cat; echo oops >&2; exit 7").build(), Stdio.PIPE)) {
            sandbox.stdin().write("hello\n".getBytes(StandardCharsets.UTF_8));
            sandbox.stdin().close();

            assertThat(new String(sandbox.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
            assertThat(new String(sandbox.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
            SandboxResult result = sandbox.waitFor();
            assertThat(result.outcome()).isEqualTo(new Outcome.Exited(7));
            assertThat(result.setupTime()).isPositive();
            assertThat(sandbox.pid()).isPositive();
        }
        // The FIFOs are gone once both sides have opened them (those of a supervisor being
        // prepared for the next sandbox too, within moments).
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            try (var left = Files.list(dir)) {
                return left.map(p -> p.getFileName().toString()).toList();
            }
        }, names -> names.size() == 1 && names.getFirst().matches("spawner-\\d+\\.sock"));
    }

    @Test
    void aSupervisorWithoutAPrewarmedSandboxIsNotKeptPrepared() throws Exception {
        assumeTrue(PREWARM == 0, "with a pool, one that holds a prewarmed sandbox is kept");
        try (Sandbox sandbox = spawner.spawn(SandboxSpec.builder("true").build(), Stdio.PIPE)) {
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
        Thread.sleep(300); // the preparation asked for after that spawn has come back by now
        assertThat(spawner.hasPrepared()).isFalse();
    }

    @Test
    void namespacePidIsTheSandboxsPidOneInItsOwnNamespaces() throws Exception {
        long pid;
        try (Sandbox sandbox = spawner.spawn(SandboxSpec.builder("sleep", "60").build(), Stdio.DISCARD)) {
            pid = sandbox.namespacePid().orElseThrow();
            assertThat(sandbox.namespacePid()).hasValue(pid); // asked again: the same, no more reading
            Path proc = Path.of("/proc", Long.toString(pid));
            assertThat(ProcessHandle.of(pid)).isPresent();
            assertThat(Files.readSymbolicLink(proc.resolve("ns/net")))
                    .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
            assertThat(Files.readSymbolicLink(proc.resolve("ns/pid")))
                    .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")));
            sandbox.kill();
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Signaled(9));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
    }

    @Test
    void aSandboxThatNeverClonedHasNoNamespacePid() throws Exception {
        var spec = SandboxSpec.builder("true").mount(dev.arrow.sandbox.Mount.readOnly(Path.of("/no/such/dir"), "/data")).build();
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.DISCARD)) {
            assertThat(sandbox.namespacePid()).isEmpty();
            assertThat(sandbox.waitFor().outcome()).isInstanceOf(Outcome.FailedToStart.class);
        }
    }

    @Test
    void aReadyPortIsReportedOnceItAcceptsConnectionsInsideTheSandbox() throws Exception {
        // The same port listens on the host's loopback all along: a watch there would answer at once.
        try (var hostListener = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = hostListener.getLocalPort();
            String app = "import socket,time; time.sleep(0.4); s=socket.socket(); s.bind(('127.0.0.1'," + port + "));"
                    + " s.listen(); print('up',flush=True); time.sleep(60)";
            var spec = SandboxSpec.builder("python3", "-c", app).readyPort(port).build();
            try (Sandbox sandbox = spawner.spawn(spec, Stdio.PIPE)) {
                sandbox.stdin().close();
                long start = System.nanoTime();
                assertThat(sandbox.awaitPort()).isEqualTo(Sandbox.PortState.LISTENING);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(350));
                var lines = new java.io.BufferedReader(new java.io.InputStreamReader(sandbox.stdout(), StandardCharsets.UTF_8));
                assertThat(lines.readLine()).isEqualTo("up");
                assertThat(sandbox.awaitPort()).isEqualTo(Sandbox.PortState.LISTENING); // asked again: the same
                sandbox.kill();
                assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Signaled(9));
            }
        }
    }

    @Test
    void aSandboxOnTheHostsNetworkHasItsPortWatchedThere() throws Exception {
        int port;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        String app = "import socket,time; s=socket.socket(); s.bind(('127.0.0.1'," + port + ")); s.listen(); time.sleep(60)";
        var spec = SandboxSpec.builder("python3", "-c", app).network(dev.arrow.sandbox.NetworkPolicy.HOST)
                .readyPort(port).build();
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.DISCARD)) {
            assertThat(sandbox.awaitPort()).isEqualTo(Sandbox.PortState.LISTENING);
            try (var client = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                assertThat(client.isConnected()).isTrue();
            }
        }
    }

    @Test
    void aSandboxThatEndsWithoutListeningEndsTheWaitAndKeepsItsResult() throws Exception {
        var spec = SandboxSpec.builder("sh", "-c", "sleep 0.2; exit 3").readyPort(8080).build();
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.DISCARD)) {
            assertThat(sandbox.awaitPort()).isEqualTo(Sandbox.PortState.ENDED);
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Exited(3));
        }
    }

    @Test
    void aKillEndsAWaitForThePort() throws Exception {
        var spec = SandboxSpec.builder("sleep", "60").readyPort(8080).build();
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.DISCARD)) {
            var waiting = Executors.newVirtualThreadPerTaskExecutor().submit(sandbox::awaitPort);
            Thread.sleep(200);
            assertThat(waiting).isNotDone();
            sandbox.kill();
            assertThat(waiting.get()).isEqualTo(Sandbox.PortState.ENDED);
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Signaled(9));
        }
    }

    @Test
    void withoutAReadyPortNothingIsWatched() throws Exception {
        try (Sandbox sandbox = spawner.spawn(SandboxSpec.builder("true").build(), Stdio.DISCARD)) {
            assertThat(sandbox.awaitPort()).isEqualTo(Sandbox.PortState.UNWATCHED);
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
    }

    @Test
    void killEndsTheWholeSandbox() throws Exception {
        String marker = "spawner-kill-" + System.nanoTime();
        try (Sandbox sandbox = spawner.spawn(SandboxSpec.builder("sh", "-c", "sleep 60 & sleep 60", marker).build(),
                Stdio.DISCARD)) {
            await().until(() -> !HostProcesses.withMarker(marker).isEmpty());
            sandbox.kill();
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Signaled(9));
        }
        assertThat(HostProcesses.withMarker(marker)).isEmpty();
    }

    @Test
    void closingARunningSandboxKillsIt() throws Exception {
        String marker = "spawner-close-" + System.nanoTime();
        Sandbox sandbox = spawner.spawn(SandboxSpec.builder("sh", "-c", "sleep 60", marker).build(), Stdio.PIPE);
        await().until(() -> !HostProcesses.withMarker(marker).isEmpty());
        sandbox.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> HostProcesses.withMarker(marker).isEmpty());
    }

    @Test
    void aSandboxWhoseConnectionDropsIsKilled() throws Exception {
        // What happens to every running sandbox when the JVM dies: the kernel closes its sockets.
        String marker = "spawner-drop-" + System.nanoTime();
        var sandbox = (SpawnedSandbox) spawner.spawn(SandboxSpec.builder("sh", "-c", "sleep 60", marker).build(),
                Stdio.DISCARD);
        await().until(() -> !HostProcesses.withMarker(marker).isEmpty());

        sandbox.dropConnection();

        await().atMost(Duration.ofSeconds(10)).until(() -> HostProcesses.withMarker(marker).isEmpty());
        sandbox.close();
    }

    @Test
    void aClosedSpawnerTakesNoNewSandboxesButLetsRunningOnesFinish() throws Exception {
        try (Sandbox running = spawner.spawn(SandboxSpec.builder("sh", "-c", "read line; echo $line").build(), Stdio.PIPE)) {
            spawner.close();
            assertThat(spawner.isAlive()).isFalse();
            assertThatThrownBy(() -> spawner.spawn(SandboxSpec.builder("true").build(), Stdio.PIPE))
                    .isInstanceOf(java.io.IOException.class);

            running.stdin().write("still here\n".getBytes(StandardCharsets.UTF_8));
            running.stdin().close();
            assertThat(new String(running.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("still here\n");
            assertThat(running.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
    }

    @Test
    void badOptionsComeBackAsAResultNotAHang() throws Exception {
        var spec = SandboxSpec.builder("true").mount(dev.arrow.sandbox.Mount.readOnly(Path.of("/no/such/dir"), "/data")).build();
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.PIPE)) {
            assertThat(sandbox.waitFor().outcome()).isInstanceOfSatisfying(Outcome.FailedToStart.class,
                    failed -> assertThat(failed.reason()).isEqualTo("bad-mount-source"));
        }
    }

    @Test
    void limitsStillApply() throws Exception {
        var spec = SandboxSpec.builder("sh", "-c", "sleep 5").limits(Limits.DEFAULT.withWallTime(Duration.ofMillis(200))).build();
        try (Sandbox sandbox = spawner.spawn(spec, Stdio.PIPE)) {
            assertThat(sandbox.waitFor().outcome()).isInstanceOf(Outcome.TimedOut.class);
        }
    }

    @Test
    void servesManySandboxesAtOnce() throws Exception {
        List<Future<String>> outputs = new ArrayList<>();
        try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 40; i++) {
                String word = "word-" + i;
                outputs.add(clients.submit(() -> {
                    try (Sandbox sandbox = spawner.spawn(SandboxSpec.builder("echo", word).build(), Stdio.PIPE)) {
                        sandbox.stdin().close();
                        String out = new String(sandbox.stdout().readAllBytes(), StandardCharsets.UTF_8);
                        assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
                        return out;
                    }
                }));
            }
        }
        for (int i = 0; i < 40; i++) {
            assertThat(outputs.get(i).get()).isEqualTo("word-" + i + "\n");
        }
    }

    @Test
    void pooledNetworkNamespacesAreNeverSharedAndComeBackEmpty() throws Exception {
        // A listener on loopback, running while others start and then killed with its sandbox.
        String listen = "import os,socket,time; s=socket.socket(); s.bind(('127.0.0.1',4567)); s.listen();"
                + " print(os.readlink('/proc/self/ns/net'),flush=True); time.sleep(60)";
        try (Sandbox listener = spawner.spawn(SandboxSpec.builder("python3", "-c", listen).build(), Stdio.PIPE)) {
            listener.stdin().close();
            var lines = new java.io.BufferedReader(new java.io.InputStreamReader(listener.stdout(), StandardCharsets.UTF_8));
            String listenerNet = lines.readLine();
            assertThat(listenerNet).startsWith("net:[");

            assertThat(listeningPorts()).doesNotContain("11D7"); // 4567: not visible next door
            assertThat(netnsOfNew().strip()).isNotEqualTo(listenerNet);
            listener.kill();
            listener.waitFor();
        }
        for (int i = 0; i < 5; i++) {
            assertThat(listeningPorts()).doesNotContain("11D7");
            assertThat(netnsOfNew().strip()).as("a namespace the spawner holds in its pool").isIn(pooledNamespaces());
        }
    }

    /** The network namespaces the spawner process holds open: its pool. */
    private java.util.Set<String> pooledNamespaces() throws Exception {
        var pooled = new java.util.HashSet<String>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(spawner.pid()), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("net:[")) {
                        pooled.add(target);
                    }
                } catch (java.io.IOException closed) {
                    // closed while we looked
                }
            }
        }
        pooled.remove(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString()); // the host's own
        return pooled;
    }

    private String listeningPorts() throws Exception {
        return run("cat /proc/net/tcp");
    }

    private String netnsOfNew() throws Exception {
        return run("readlink /proc/self/ns/net");
    }

    private String run(String script) throws Exception {
        try (Sandbox sandbox = spawner.spawn(SandboxSpec.builder("sh", "-c", script).build(), Stdio.PIPE)) {
            sandbox.stdin().close();
            String out = new String(sandbox.stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(sandbox.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
            return out;
        }
    }

    @Test
    void theDriverReplacesASpawnerKilledFromOutside() throws Exception {
        var driver = new ProcessDriver(helper, true);
        try (Sandbox first = driver.start(SandboxSpec.builder("true").build(), Stdio.DISCARD)) {
            assertThat(first).isInstanceOf(SpawnedSandbox.class);
            assertThat(first.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
        List<ProcessHandle> spawners = ProcessHandle.current().children()
                .filter(p -> p.info().arguments().map(a -> a.length > 0 && a[0].equals("--serve")).orElse(false))
                .toList();
        assertThat(spawners).isNotEmpty();
        spawners.forEach(ProcessHandle::destroyForcibly);
        await().until(() -> spawners.stream().noneMatch(ProcessHandle::isAlive));

        try (Sandbox next = driver.start(SandboxSpec.builder("true").build(), Stdio.DISCARD)) {
            assertThat(next.waitFor().outcome()).isEqualTo(new Outcome.Exited(0));
        }
    }
}
