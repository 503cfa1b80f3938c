package dev.arrow.sandbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HelperCommandTest {

    private static final Path HELPER = Path.of("/opt/arrow/arrow-sandbox-helper");

    @Test
    void defaultSpecWritesEveryDefaultOut() {
        var argv = HelperCommand.argv(HELPER, "a0123456789abcdef", SandboxSpec.builder("/bin/true").build(),
                Optional.empty());

        assertThat(argv).containsExactly(
                "/opt/arrow/arrow-sandbox-helper",
                "--id", "a0123456789abcdef",
                "--nofile", "1024",
                "--tmpfs-size", "67108864",
                "--env", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
                "--env", "HOME=/tmp",
                "--workdir", "/",
                "--network", "none",
                "--uid", "65534",
                "--gid", "65534",
                "--hostname", "arrow",
                "--",
                "/bin/true");
    }

    @Test
    void fullSpecMapsEveryField() {
        SandboxSpec spec = SandboxSpec.builder("python3", "-c", "print(1)", "--")
                .env("LANG", "C.UTF-8")
                .workdir("/code")
                .mount(Mount.readOnly(Path.of("/srv/app"), "/code"))
                .mount(Mount.writable(Path.of("/srv/data"), "/data"))
                .limits(Limits.DEFAULT
                        .withMemoryBytes(128L << 20)
                        .withCpuMillis(500)
                        .withPids(32)
                        .withOpenFiles(256)
                        .withTmpfsBytes(1 << 20)
                        .withWallTime(Duration.ofSeconds(10)))
                .network(NetworkPolicy.HOST)
                .user(1000, 100)
                .hostname("fn")
                .readyPort(8080)
                .build();

        var argv = HelperCommand.argv(HELPER, "aX", spec, Optional.of(Path.of("/tmp/r/aX.json")));

        assertThat(argv).containsExactly(
                "/opt/arrow/arrow-sandbox-helper",
                "--id", "aX",
                "--memory", "134217728",
                "--cpu-millis", "500",
                "--pids", "32",
                "--nofile", "256",
                "--tmpfs-size", "1048576",
                "--timeout-ms", "10000",
                "--ro-bind", "/srv/app", "/code",
                "--bind", "/srv/data", "/data",
                "--env", "PATH=" + SandboxSpec.DEFAULT_PATH,
                "--env", "HOME=/tmp",
                "--env", "LANG=C.UTF-8",
                "--workdir", "/code",
                "--network", "host",
                "--uid", "1000",
                "--gid", "100",
                "--hostname", "fn",
                "--ready-port", "8080",
                "--result-file", "/tmp/r/aX.json",
                "--",
                "python3", "-c", "print(1)", "--");
    }

    @Test
    void subMillisecondTimeoutRoundsUp() {
        SandboxSpec spec = SandboxSpec.builder("true")
                .limits(Limits.DEFAULT.withWallTime(Duration.ofNanos(1_500_000)))
                .build();

        var argv = HelperCommand.argv(HELPER, "a1", spec, Optional.empty());

        assertThat(argv).containsSubsequence("--timeout-ms", "2");
    }

    @Test
    void cleanupNamesTheSandbox() {
        assertThat(HelperCommand.cleanupArgv(HELPER, "a1"))
                .containsExactly("/opt/arrow/arrow-sandbox-helper", "--cleanup", "a1");
    }

    @Test
    void sandboxIdsAreAAnd16HexDigitsAndDiffer() {
        String first = HelperCommand.newSandboxId();

        assertThat(first).matches("a[0-9a-f]{16}");
        assertThat(HelperCommand.newSandboxId()).isNotEqualTo(first);
    }
}
