package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arrow.sandbox.HostProcesses;
import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM tier with the real qemu, virtiofsd and the host's stock kernel (TCG where there is no KVM). */
class VmIT {

    private static VmDriver driver;

    @BeforeAll
    static void driver() throws Exception {
        var missing = VmDriver.unavailableReason();
        missing.ifPresent(reason -> System.err.println("VmIT skipped: " + reason));
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElseThrow());
        driver = VmDriver.create();
        System.err.println("VmIT: accelerator " + driver.accelerator());
    }

    private record Run(SandboxResult result, String stdout, String stderr) {
    }

    private static Run run(SandboxSpec spec, String input) throws Exception {
        try (Sandbox vm = driver.start(spec, Stdio.PIPE)) {
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(vm.stdout()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(vm.stderr()));
            try (var stdin = vm.stdin()) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
            SandboxResult result = vm.waitFor();
            return new Run(result, out.get(), err.get());
        }
    }

    private static String drain(InputStream in) {
        try (in) {
            var buffer = new ByteArrayOutputStream();
            in.transferTo(buffer);
            return buffer.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void stdoutStderrAndExitStatusComeBackApart() throws Exception {
        Run run = run(SandboxSpec.builder("sh", "-c", "echo hello; echo oops >&2; exit 3").build(), "");

        assertThat(run.result().outcome()).isEqualTo(new Outcome.Exited(3));
        assertThat(run.stdout()).isEqualTo("hello\n");
        assertThat(run.stderr()).isEqualTo("oops\n");
        assertThat(run.result().setupTime()).isPositive();
        System.err.println("VmIT: echo in " + run.result().wallTime().toMillis() + " ms, program started after "
                + run.result().setupTime().toMillis() + " ms");
    }

    @Test
    void aSignalIsToldApartFromAnExit() throws Exception {
        Run run = run(SandboxSpec.builder("sh", "-c", "echo before; kill -TERM $$").build(), "");

        assertThat(run.result().outcome()).isEqualTo(new Outcome.Signaled(15));
        assertThat(run.stdout()).isEqualTo("before\n");
    }

    @Test
    void anInterruptReachesTheProgramWhichDecidesWhatToDo() throws Exception {
        SandboxSpec spec = SandboxSpec.builder("sh", "-c",
                "trap 'echo caught; exit 7' INT; echo waiting; while :; do sleep 0.1; done").build();
        try (Sandbox vm = driver.start(spec, Stdio.PIPE)) {
            vm.stdin().close();
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(vm.stdout(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("waiting");

            vm.interrupt();

            assertThat(out.readLine()).isEqualTo("caught");
            assertThat(vm.waitFor().outcome()).isEqualTo(new Outcome.Exited(7));
        }
    }

    @Test
    void aServerInTheGuestIsReachedOnItsPortInQemusNetworkNamespaceOnly(@TempDir Path temp) throws Exception {
        Path site = Files.createDirectory(temp.resolve("site"));
        Files.writeString(site.resolve("hello.txt"), "hello from the guest");
        int port = 8080;
        SandboxSpec spec = SandboxSpec.builder("python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1",
                        "--directory", "/site")
                .mount(Mount.readOnly(site, "/site"))
                .readyPort(port)
                .build();
        try (Sandbox vm = driver.start(spec, Stdio.DISCARD)) {
            assertThat(vm.awaitPort()).isEqualTo(Sandbox.PortState.LISTENING);
            long namespace = vm.namespacePid().orElseThrow();

            String body = inNetworkNamespace(namespace, "curl", "-sS", "--max-time", "20", "http://127.0.0.1:" + port + "/hello.txt");

            assertThat(body).isEqualTo("hello from the guest");
            assertThat(inNetworkNamespace(ProcessHandle.current().pid(), "sh", "-c",
                    "curl -s --max-time 2 http://127.0.0.1:" + port + "/hello.txt || echo not-on-the-host"))
                    .as("the port is not on the host's loopback").isEqualTo("not-on-the-host\n");
        }
    }

    @Test
    void theHostsNetworkIsReachedOnlyWhereTheSpecAllowsIt() throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] answer = "host answered".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        try {
            // The user-mode NIC's gateway is the host's loopback, where the spec allows the network.
            String fetch = "import urllib.request\n"
                    + "try: print(urllib.request.urlopen('http://10.0.2.2:" + server.getAddress().getPort() + "/', timeout=5).read().decode())\n"
                    + "except OSError as e: print('refused')";
            Run allowed = run(SandboxSpec.builder("python3", "-c", fetch).network(dev.arrow.sandbox.NetworkPolicy.HOST).build(), "");
            Run none = run(SandboxSpec.builder("python3", "-c", fetch).build(), "");

            assertThat(allowed.stdout()).as(allowed.stderr()).isEqualTo("host answered\n");
            assertThat(none.stdout()).as(none.stderr()).isEqualTo("refused\n");
        } finally {
            server.stop(0);
        }
    }

    private static String inNetworkNamespace(long pid, String... command) throws Exception {
        var argv = new java.util.ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-n", "--"));
        argv.addAll(List.of(command));
        Process process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return out;
    }

    @Test
    void aMissingCommandFailsToStart() throws Exception {
        Run run = run(SandboxSpec.builder("no-such-command-here").build(), "");

        assertThat(run.result().outcome()).isInstanceOfSatisfying(Outcome.FailedToStart.class,
                failed -> assertThat(failed.reason()).isEqualTo("command-not-found"));
        assertThat(run.result().outcome().exitStatus()).isEqualTo(127);
    }

    @Test
    void aShareMustBeADirectory(@TempDir Path temp) throws Exception {
        Path file = Files.writeString(temp.resolve("file.txt"), "x");

        Run run = run(SandboxSpec.builder("true").mount(Mount.readOnly(file, "/code")).build(), "");

        assertThat(run.result().outcome()).isInstanceOfSatisfying(Outcome.FailedToStart.class,
                failed -> assertThat(failed.reason()).isEqualTo("bad-mount-source"));
    }

    @Test
    void stdinIsPassedThrough() throws Exception {
        String input = "line one\n".repeat(20_000); // more than the guest's port buffers hold

        Run run = run(SandboxSpec.builder("sh", "-c", "cat; id -u").build(), input);

        assertThat(run.result().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).isEqualTo(input + "65534\n");
    }

    @Test
    void pythonRunsFromTheHostsUsr() throws Exception {
        Run run = run(SandboxSpec.builder("python3", "-c", "import sys; print(sys.version_info[0] * 7 + 1)").build(), "");

        assertThat(run.result().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).isEqualTo("22\n");
    }

    @Test
    void onlyTheSharesAreVisibleAndTheyAreReadOnly(@TempDir Path temp) throws Exception {
        Path secret = temp.resolve("secret.txt");
        Files.writeString(secret, "host secret");
        Path code = Files.createDirectory(temp.resolve("code"));
        Files.writeString(code.resolve("main.sh"), "echo from code");
        String script = String.join("; ",
                "cat " + secret + " 2>/dev/null || echo secret-invisible",
                "cat /etc/hostname 2>/dev/null || echo hostname-invisible",
                "touch /usr/arrow-probe 2>/dev/null || echo usr-read-only",
                "touch /code/x 2>/dev/null || echo code-read-only",
                "touch /x 2>/dev/null || echo root-read-only",
                "touch /tmp/x && echo tmp-writable",
                "sh /code/main.sh");

        Run run = run(SandboxSpec.builder("sh", "-c", script).mount(Mount.readOnly(code, "/code")).build(), "");

        assertThat(run.result().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).isEqualTo(String.join("\n", "secret-invisible", "hostname-invisible", "usr-read-only",
                "code-read-only", "root-read-only", "tmp-writable", "from code", ""));
        assertThat(Files.exists(Path.of("/usr/arrow-probe"))).isFalse();
    }

    @Test
    void theWallTimeLimitKillsTheVmAndLeavesNothing() throws Exception {
        SandboxSpec spec = SandboxSpec.builder("sleep", "600")
                .limits(Limits.DEFAULT.withWallTime(Duration.ofSeconds(8)))
                .build();
        List<Path> dirsBefore = vmDirs();
        long qemuPid;
        Path vmDir;
        SandboxResult result;
        try (Sandbox vm = driver.start(spec, Stdio.DISCARD)) {
            qemuPid = vm.pid();
            assertThat(ProcessHandle.of(qemuPid).filter(ProcessHandle::isAlive)).as("qemu").isPresent();
            List<Path> made = vmDirs().stream().filter(dir -> !dirsBefore.contains(dir)).toList();
            assertThat(made).hasSize(1);
            vmDir = made.getFirst();
            assertThat(HostProcesses.withMarker(vmDir.toString())).isNotEmpty(); // virtiofsd
            result = vm.waitFor();
        }

        assertThat(result.outcome()).isEqualTo(new Outcome.TimedOut());
        assertThat(ProcessHandle.of(qemuPid).filter(ProcessHandle::isAlive)).as("qemu").isEmpty();
        assertThat(HostProcesses.withMarker(vmDir.toString())).isEmpty();
        assertThat(vmDir).doesNotExist();
    }

    /** The VMs' directories: each holds a VM's sockets, logs and RAM file. */
    private static List<Path> vmDirs() throws IOException {
        try (var dirs = Files.list(Path.of("/dev/shm"))) {
            return dirs.filter(dir -> dir.getFileName().toString().startsWith("arrow-vm-")).toList();
        }
    }

    @Test
    void aMemoryHogEndsAsOutOfMemory() throws Exception {
        SandboxSpec spec = SandboxSpec.builder("python3", "-c", "x = []\nwhile True: x.append(b'x' * (8 << 20))")
                .limits(Limits.DEFAULT.withMemoryBytes(192L << 20))
                .build();

        Run run = run(spec, "");

        assertThat(run.result().outcome()).isEqualTo(new Outcome.OutOfMemory());
    }
}
