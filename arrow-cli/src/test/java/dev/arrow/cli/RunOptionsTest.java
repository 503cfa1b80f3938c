package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code arrow run}'s options read in Java for {@code --isolation vm}, as the helper's run mode reads them. */
class RunOptionsTest {

    @TempDir
    Path dir;

    private RunOptions parse(String... words) throws RunOptions.UsageException {
        return RunOptions.parse(List.of(words), dir);
    }

    @Test
    void everyOptionLandsInTheSpec() throws Exception {
        Files.createDirectory(dir.resolve("data"));
        RunOptions options = parse("--isolation", "vm", "--memory", "256m", "--cpus=1.5", "--pids", "50",
                "--timeout", "2.5s", "--tmpfs-size", "8m", "--mount", "data:/data:rw", "--mount", "/tmp:/host-tmp",
                "--env", "A=1", "--env", "PATH=/bin", "--env=A=2", "--workdir", "/data", "--network", "NONE",
                "--user", "1000:100", "--nofile", "64", "--stats", "--", "sh", "-c", "echo hi");

        SandboxSpec spec = options.spec();
        assertThat(options.isolation()).isEqualTo("vm");
        assertThat(options.stats()).isTrue();
        assertThat(options.help()).isFalse();
        assertThat(spec.argv()).containsExactly("sh", "-c", "echo hi");
        assertThat(spec.limits()).isEqualTo(new Limits(OptionalLong.of(256L << 20), OptionalInt.of(1500), OptionalInt.of(50),
                64, 8L << 20, java.util.Optional.of(Duration.ofMillis(2500))));
        assertThat(spec.mounts()).containsExactly(Mount.writable(dir.resolve("data"), "/data"), Mount.readOnly(Path.of("/tmp"), "/host-tmp"));
        // PATH and HOME first, a later value replacing an earlier one in its place, as the helper does.
        assertThat(spec.env()).containsExactly(Map.entry("PATH", "/bin"), Map.entry("HOME", "/tmp"), Map.entry("A", "2"));
        assertThat(spec.workdir()).isEqualTo("/data");
        assertThat(spec.network()).isEqualTo(NetworkPolicy.NONE);
        assertThat(spec.uid()).isEqualTo(1000);
        assertThat(spec.gid()).isEqualTo(100);
    }

    @Test
    void defaultsAreTheProcessTiers() throws Exception {
        RunOptions options = parse("echo", "--memory", "1m");

        assertThat(options.isolation()).isEqualTo("process");
        assertThat(options.stats()).isFalse();
        assertThat(options.spec()).isEqualTo(SandboxSpec.builder("echo", "--memory", "1m").build());
    }

    @Test
    void aUserWithoutAGroupIsItsOwnGroupAndATimeoutRoundsUpToWholeMilliseconds() throws Exception {
        SandboxSpec spec = parse("--user", "7", "--timeout", "1.0000001s", "true").spec();
        assertThat(spec.uid()).isEqualTo(7);
        assertThat(spec.gid()).isEqualTo(7);
        assertThat(spec.limits().wallTime()).contains(Duration.ofMillis(1001));
    }

    @Test
    void helpAndVersionAreNoticedBeforeAnythingElse() throws Exception {
        assertThat(parse("--memory", "1m", "-h", "--bogus").help()).isTrue();
        assertThat(parse("-hV").help()).isTrue();
        assertThat(parse("--version").help()).isTrue();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = "=>", quoteCharacter = '"', textBlock = """
            --memory 12x -- true                => invalid value for option '--memory': '12x' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
            --memory 100 -- true                => invalid value for option '--memory': '100' must be from 1m to 1048576g
            --tmpfs-size 1k -- true             => invalid value for option '--tmpfs-size': '1k' must be from 4k to 1024g
            --cpus 0.005 -- true                => invalid value for option '--cpus': '0.005' must be from 0.01 to 1024
            --cpus 1025 -- true                 => invalid value for option '--cpus': CPUs must be 0.001 to 1000 with at most 3 decimals, not '1025'
            --timeout 0 -- true                 => invalid value for option '--timeout': '0' must be from 1ms to 1099511627776ms
            --timeout 400000h -- true           => invalid value for option '--timeout': '400000h' must be from 1ms to 1099511627776ms
            --pids 0x10 -- true                 => invalid value for option '--pids': '0x10' is not an int
            --pids 99999999999 -- true          => invalid value for option '--pids': '99999999999' is not an int
            --nofile 4 -- true                  => invalid value for option '--nofile': '4' must be from 8 to 1048576
            --user 1000: -- true                => invalid value for option '--user': '1000:' is not UID[:GID], e.g. 1000 or 1000:100
            --env =x -- true                    => invalid value for option '--env' (NAME=VALUE): '=x' is not NAME=VALUE
            --network maybe -- true             => invalid value for option '--network': expected one of [NONE, HOST] (case-insensitive) but was 'maybe'
            --isolation jail -- true            => invalid value for option '--isolation': expected one of [PROCESS, VM] (case-insensitive) but was 'jail'
            --workdir rel -- true               => invalid value for option '--workdir': 'rel' is not an absolute path
            --mount /tmp -- true                => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): '/tmp' is not a mount: use HOST:SANDBOX[:rw|:ro]
            --mount /tmp:/d:RW -- true          => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount mode 'RW' in '/tmp:/d:RW' must be rw or ro
            --mount /no/such/dir:/d -- true     => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount source /no/such/dir does not exist
            --mount /tmp:/a/../b -- true        => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount target must not contain '..': /a/../b
            --mount /tmp:/usr/x -- true         => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): mount target '/usr/x' is inside a directory the sandbox reserves
            --mount /tmp:/d --mount /usr:/d -- true => invalid value for option '--mount' (HOST:SANDBOX[:rw|:ro]): two mounts at /d
            --memory 1m --memory 2m -- true     => option '--memory' (SIZE) should be specified only once
            --stats --stats -- true             => option '--stats' should be specified only once
            --stats=yes -- true                 => invalid value for option '--stats': 'yes' is not a boolean
            --memory                            => missing required parameter for option '--memory' (SIZE)
            --memory --stats -- true            => expected parameter for option '--memory' but found '--stats'
            --memroy=1m -- true                 => unknown option: '--memroy=1m'
            -x true                             => unknown option: '-x'
            --stats --                          => missing required parameter: 'COMMAND'
            """)
    void aBadOptionIsTheHelpersMessage(String words, String message) {
        assertThatThrownBy(() -> RunOptions.parse(List.of(words.trim().split("\\s+")), dir))
                .isInstanceOf(RunOptions.UsageException.class)
                .hasMessage(message);
    }

    @Test
    void whatTheVmTierCannotHonourIsAUsageErrorNamingTheOption() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> parse("--isolation", "vm", "--pids", "5", "true").requireVmCanHonour())
                .hasMessageStartingWith("option '--pids' is not available with --isolation vm");
        assertThatThrownBy(() -> parse("--isolation", "vm", "--mount", "file:/f", "true").requireVmCanHonour())
                .hasMessageStartingWith("option '--mount': " + dir.resolve("file") + " is not a directory");
        parse("--isolation", "vm", "--mount", ".:/d", "--network", "none", "true").requireVmCanHonour();
        parse("--isolation", "vm", "--network", "host", "true").requireVmCanHonour();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = "=>", textBlock = """
            --isolation vm -- echo                => true
            --isolation=VM echo                   => true
            --stats --isolation Vm echo           => true
            --memory 1m --isolation vm echo       => true
            -hV --isolation vm echo               => true
            --isolation process echo              => false
            --env --isolation echo vm             => false
            echo --isolation vm                   => false
            -- echo --isolation vm                => false
            - --isolation vm                      => false
            --isolation                           => false
            """)
    void vmIsAskedForOnlyBeforeTheCommand(String words, boolean vm) {
        assertThat(RunOptions.wantsVm(List.of(words.trim().split("\\s+")))).isEqualTo(vm);
    }

    @Test
    void theStatsLineIsTheProcessTiersWithTheTierAndTheAccelerator() {
        var result = new SandboxResult(new Outcome.Exited(3), Duration.ofMillis(2), Duration.ofMillis(1), Duration.ZERO, 4096);
        assertThat(RunVm.statsLine(result, "tcg")).isEqualTo(
                "{\"outcome\":\"exited\",\"exitCode\":3,\"wallMs\":2.000,\"cpuUserMs\":1.000,\"cpuSystemMs\":0.000,"
                        + "\"peakMemoryBytes\":4096,\"isolation\":\"vm\",\"accelerator\":\"tcg\"}");
    }
}
