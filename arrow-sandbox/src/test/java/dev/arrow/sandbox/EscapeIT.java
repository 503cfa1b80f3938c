package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Escape attempts made from inside a sandbox, each of which must fail. The same probe run on the
 * host as an unprivileged user is the control: there the attempts that need no privilege succeed,
 * which shows the probe would notice an escape.
 */
class EscapeIT {

    private static final String PYTHON = "/usr/bin/python3";
    static final ObjectMapper JSON = new ObjectMapper();

    // Package-private for VmEscapeIT, which shares directories only and so lays the probe out anew.
    @TempDir
    static Path dir;
    static Process hostProcess;
    static ServerSocket hostListener;
    static Path probe;
    static Path hostFile;
    static Path readOnlyDir;
    static Path setuidBinary;

    @BeforeAll
    static void setUp() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        probe = dir.resolve("escape_probe.py");
        try (InputStream in = EscapeIT.class.getResourceAsStream("/escape_probe.py")) {
            Files.copy(in, probe);
        }
        hostFile = Files.writeString(dir.resolve("host-secret"), "host secret");
        readOnlyDir = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(readOnlyDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        setuidBinary = dir.resolve("suid-id");
        Files.copy(Path.of("/usr/bin/id"), setuidBinary);
        Files.setAttribute(setuidBinary, "unix:mode", 04755); // setuid root: PosixFilePermissions cannot say it
        for (Path p : List.of(probe, hostFile)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        }
        hostProcess = new ProcessBuilder(PYTHON, "-c", "import time; time.sleep(600)", "arrow-escape-marker").start();
        hostListener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @AfterAll
    static void tearDown() throws Exception {
        hostProcess.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        hostListener.close();
    }

    /** Runs one sandbox; {@link PrewarmedEscapeIT} runs them all from a prewarm pool. */
    SandboxRun run(SandboxSpec spec) throws Exception {
        return SandboxRun.run(spec);
    }

    static List<String> probeArgs(String roDir, String setuid) {
        return List.of(String.valueOf(hostProcess.pid()), String.valueOf(hostListener.getLocalPort()),
                hostFile.toString(), roDir, setuid);
    }

    static Map<String, String> attempts(String json) throws IOException {
        JsonNode node = JSON.readTree(json);
        var attempts = new LinkedHashMap<String, String>();
        node.fields().forEachRemaining(e -> {
            if (e.getValue().isTextual() && !e.getKey().equals("identity")) {
                attempts.put(e.getKey(), e.getValue().asText());
            }
        });
        return attempts;
    }

    @Test
    void everyEscapeAttemptFailsInsideTheSandbox() throws Exception {
        var argv = new java.util.ArrayList<>(List.of("python3", "/probe/escape_probe.py"));
        argv.addAll(probeArgs("/ro", "/probe/suid-id"));
        SandboxSpec spec = SandboxSpec.builder(argv)
                .mount(Mount.readOnly(probe, "/probe/escape_probe.py"))
                .mount(Mount.readOnly(readOnlyDir, "/ro"))
                .mount(Mount.readOnly(setuidBinary, "/probe/suid-id"))
                .build();

        SandboxRun run = run(spec);

        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        Map<String, String> attempts = attempts(run.stdout());
        assertThat(attempts).hasSizeGreaterThan(45);
        assertThat(attempts).allSatisfy((name, verdict) -> assertThat(verdict).as(name).isEqualTo("blocked"));
        JsonNode status = JSON.readTree(run.stdout()).get("status");
        assertThat(status.get("CapEff").asText()).isEqualTo("0000000000000000");
        assertThat(status.get("CapBnd").asText()).isEqualTo("0000000000000000");
        assertThat(status.get("NoNewPrivs").asText()).isEqualTo("1");
        assertThat(status.get("Seccomp").asText()).isEqualTo("2");
        assertThat(JSON.readTree(run.stdout()).get("identity").asText()).startsWith("uid=65534 gid=65534");
    }

    @Test
    void theProbeSeesEscapesOutsideTheSandbox() throws Exception {
        var command = new java.util.ArrayList<>(List.of("setpriv", "--reuid", "65534", "--regid", "65534",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", PYTHON, probe.toString()));
        command.addAll(probeArgs(readOnlyDir.toString(), setuidBinary.toString()));
        Process control = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(control.getInputStream().readAllBytes());
        control.waitFor(60, TimeUnit.SECONDS);

        Map<String, String> attempts = attempts(out);
        // Allowed to any unprivileged host process; the sandbox must be what stops them.
        for (String name : List.of("read a host file outside the view", "see a host process",
                "reach a listener on the host's 127.0.0.1", "escalate via a setuid binary",
                "syscall unshare", "syscall keyctl", "syscall add_key", "syscall userfaultfd",
                "syscall io_uring_setup", "syscall process_vm_readv", "syscall perf_event_open",
                "syscall open_tree")) {
            assertThat(attempts.get(name)).as(name).startsWith("ESCAPED");
        }
    }

    @Test
    void theHostsSecretsAreNotInEtc() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("sh", "-c",
                "ls -A /etc /etc/ssl; cat /etc/passwd; hostname; cat /proc/self/cgroup").build());

        assertThat(run.result().outcome()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).doesNotContain("shadow", "gshadow", "ssh", "sudoers", "private", "subuid", "machine-id")
                .contains("passwd", "ld.so.cache", "certs", "nobody:x:65534")
                .doesNotContain("root:x:0:0:root:/root:/bin/bash");
        assertThat(run.stdout().lines().filter(l -> l.matches("\\d+:.*:.*")))
                .as("the cgroup namespace hides where the sandbox's cgroup is")
                .allSatisfy(line -> assertThat(line).endsWith(":/"));
    }

    @Test
    void nothingOfTheHostsRootOrOfTheHelperIsLeft() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("sh", "-c",
                "ls -d /oldroot /newroot 2>&1; cat /proc/self/mountinfo; ls /proc/self/fd; ls /proc/1/fd 2>&1; true").build());

        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).contains("'/oldroot': No such file", "'/newroot': No such file")
                .doesNotContain(dir.toString(), " /oldroot", " /newroot")
                .contains("ls: cannot open directory '/proc/1/fd': Permission denied");
        // stdio and the directory ls reads: nothing inherited from the helper
        assertThat(run.stdout()).containsPattern("(?m)^0\\n1\\n2\\n3\\n");
    }

    @Test
    void onlyItsOwnProcessesAndLoopbackAreVisible() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("python3", "-c",
                "import os, socket; print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()));"
                        + "print([n for _, n in socket.if_nameindex()])").build());

        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).startsWith("[1, 2]").contains("['lo']");
    }
}
