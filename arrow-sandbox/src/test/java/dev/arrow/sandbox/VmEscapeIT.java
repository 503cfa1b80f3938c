package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arrow.sandbox.vm.VmDriver;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link EscapeIT}'s attempts from inside a VM-tier sandbox, and those only a guest can make (its
 * virtio ports, its devices, its shares from a user namespace of its own, a VM's network).
 */
class VmEscapeIT extends EscapeIT {

    /**
     * Calls any unprivileged process may make (the host's control shows it): in a VM they reach the
     * guest's own kernel, not the host's, so the probe's "blocked" (the seccomp filter's EPERM) is no
     * verdict here; what they would be used for (a user namespace's root against the shares) is
     * tried by the VM probe instead and must fail.
     */
    private static final Set<String> UNPRIVILEGED_IN_THE_GUEST = Set.of("syscall unshare", "syscall setns",
            "syscall keyctl", "syscall add_key", "syscall request_key", "syscall userfaultfd",
            "syscall io_uring_setup", "syscall io_uring_enter", "syscall io_uring_register",
            "syscall process_vm_readv", "syscall process_vm_writev", "syscall perf_event_open",
            "syscall open_tree", "syscall clone with a namespace flag", "syscall clone3", "syscall clock_adjtime");

    private static VmDriver driver;
    private static Path share;

    @BeforeAll
    static void vm() throws Exception {
        var missing = VmDriver.unavailableReason();
        missing.ifPresent(reason -> System.err.println("VmEscapeIT skipped: " + reason));
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElseThrow());
        driver = VmDriver.create();
        System.err.println("VmEscapeIT: accelerator " + driver.accelerator());
        // The VM tier shares directories only: the probes and the setuid binary go in one.
        share = Files.createDirectory(dir.resolve("probe"));
        Files.copy(probe, share.resolve("escape_probe.py"));
        try (InputStream in = VmEscapeIT.class.getResourceAsStream("/vm_escape_probe.py")) {
            Files.copy(in, share.resolve("vm_escape_probe.py"));
        }
        Files.copy(setuidBinary, share.resolve("suid-id"));
        Files.setAttribute(share.resolve("suid-id"), "unix:mode", 04755);
        Files.setPosixFilePermissions(share, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Override
    SandboxRun run(SandboxSpec spec) throws Exception {
        return SandboxRun.run(driver, spec);
    }

    /** Both probes in one VM (a boot takes seconds under TCG): one JSON line each. */
    private SandboxRun runProbes() throws Exception {
        return runScript(SandboxSpec.NOBODY, "python3 /probe/escape_probe.py " + String.join(" ", probeArgs("/ro", "/probe/suid-id"))
                + "; " + VM_PROBE);
    }

    private static final String VM_PROBE = "python3 /probe/vm_escape_probe.py %d /ro m0 m1";

    private SandboxRun runScript(int uid, String script) throws Exception {
        SandboxSpec spec = SandboxSpec.builder("sh", "-c", script.formatted(hostListener.getLocalPort()))
                .mount(Mount.readOnly(share, "/probe"))
                .mount(Mount.readOnly(readOnlyDir, "/ro"))
                .user(uid, uid)
                .limits(Limits.DEFAULT.withWallTime(Duration.ofMinutes(3))) // a hung probe fails, not hangs
                .build();
        return run(spec);
    }

    @Override
    @Test
    void everyEscapeAttemptFailsInsideTheSandbox() throws Exception {
        SandboxRun run = runProbes();

        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        List<String> lines = run.stdout().lines().toList();
        assertThat(lines).as(run.stdout() + run.stderr()).hasSize(2);
        Map<String, String> attempts = attempts(lines.get(0));
        Map<String, String> vmAttempts = attempts(lines.get(1));
        System.err.println("VmEscapeIT: " + attempts + "\nVmEscapeIT: " + vmAttempts);
        assertThat(attempts).hasSizeGreaterThan(45);
        assertThat(attempts).allSatisfy((name, verdict) -> {
            if (name.startsWith("syscall ")) {
                // The guest kernel's own refusal (its errno, not the filter's EPERM) holds too.
                if (!UNPRIVILEGED_IN_THE_GUEST.contains(name)) {
                    assertThat(verdict).as(name).matches("blocked|ESCAPED: returned -1, errno E[A-Z]+");
                }
            } else {
                assertThat(verdict).as(name).isEqualTo("blocked");
            }
        });
        assertThat(vmAttempts).hasSizeGreaterThanOrEqualTo(12);
        assertThat(vmAttempts).allSatisfy((name, verdict) -> assertThat(verdict).as(name).isEqualTo("blocked"));
        // The user namespace attempts ran with what its root may do in it.
        assertThat(EscapeIT.JSON.readTree(lines.get(1)).get("control").toString())
                .isEqualTo("{\"user namespace made\":true,\"tmpfs mounted in it\":true}");
        assertThat(EscapeIT.JSON.readTree(lines.get(0)).get("identity").asText()).startsWith("uid=65534 gid=65534 groups=[]");
        // Not its /proc/self/status: read after its own unshare(CLONE_NEWUSER) succeeded, it holds
        // every capability of that namespace; "become root in the guest" and the rest tell instead.
    }

    /** The VM probe's control: root in the guest may do what the program, nobody there, may not. */
    @Test
    void theVmProbeSeesEscapesAsTheGuestsRoot() throws Exception {
        // Not EscapeIT's probe: as root it would ptrace the init, chroot and so on, and hang the VM.
        SandboxRun run = runScript(0, VM_PROBE);

        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        Map<String, String> vmAttempts = attempts(run.stdout());
        System.err.println("VmEscapeIT as the guest's root: " + vmAttempts);
        // Not "open a virtio-console port": the init holds each open, and a port opens once (EBUSY).
        for (String name : List.of("become root in the guest", "read guest memory or I/O ports", "signal the guest init or its stdio pump",
                "write a kernel setting or trigger sysrq", "write to the serial console or the kernel log")) {
            assertThat(vmAttempts.get(name)).as(name).startsWith("ESCAPED");
        }
    }

    /**
     * A share's read-only must not be the guest kernel's mount flag alone: qemu 7.2's virtiofsd runs
     * as the host's root, and the guest's root (a spec's uid 0, or a guest kernel exploit away from
     * the program) can remount its side read-write. The daemon's own view must refuse the write.
     */
    @Test
    void theGuestsRootCannotWriteAReadOnlyShareOrTheHostsUsr() throws Exception {
        SandboxRun run = runScript(0, String.join("; ",
                "mount -o remount,rw /ro && echo remounted",
                "echo x > /ro/guest-root-wrote || echo share-refused",
                "mount -o remount,rw /usr && echo usr-remounted",
                "echo x > /usr/arrow-guest-root-wrote || echo usr-refused",
                "true"));

        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).contains("remounted", "share-refused", "usr-remounted", "usr-refused");
        assertThat(readOnlyDir.resolve("guest-root-wrote")).doesNotExist();
        assertThat(Path.of("/usr/arrow-guest-root-wrote")).doesNotExist();
    }

    @Override
    @Test
    void theHostsSecretsAreNotInEtc() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("sh", "-c", "ls -A /etc; cat /etc/passwd; hostname; cat /proc/self/cgroup").build());

        // The guest's /etc is the initramfs's three files, never the host's.
        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout()).startsWith("group\nhosts\npasswd\n").contains("nobody:x:65534")
                .doesNotContain("shadow", "ssh", "sudoers", "machine-id", "root:x:0:0:root:/root:/bin/bash");
        assertThat(run.stdout().lines().filter(l -> l.matches("\\d+:.*:.*")))
                .allSatisfy(line -> assertThat(line).endsWith(":/"));
    }

    @Override
    @Test
    void onlyItsOwnProcessesAndLoopbackAreVisible() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("python3", "-c", String.join("\n",
                "import os, socket",
                "for p in sorted(int(p) for p in os.listdir('/proc') if p.isdigit()):",
                "    c = open('/proc/%d/cmdline' % p, 'rb').read().split(b'\\0')[0].decode()",
                "    c and print(c)",
                "print([n for _, n in socket.if_nameindex()])")).build());

        // A guest's /proc lists its kernel's threads too: besides those (no command line), only
        // the init (and its stdio pump) and the program.
        assertThat(run.result().outcome()).as(run.stderr()).isEqualTo(new Outcome.Exited(0));
        assertThat(run.stdout().lines().toList()).as(run.stdout())
                .containsOnly("/init", "python3", "['lo', 'eth0']"); // eth0: the user-mode NIC, restricted
    }
}
