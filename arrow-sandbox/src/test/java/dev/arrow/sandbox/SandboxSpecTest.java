package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SandboxSpecTest {

    @Test
    void builderDefaultsAreTheSafeOnes() {
        SandboxSpec spec = SandboxSpec.builder("echo", "hi").build();

        assertThat(spec.argv()).containsExactly("echo", "hi");
        assertThat(spec.env()).containsExactly(
                Map.entry("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"),
                Map.entry("HOME", "/tmp"));
        assertThat(spec.workdir()).isEqualTo("/");
        assertThat(spec.mounts()).isEmpty();
        assertThat(spec.limits()).isEqualTo(Limits.DEFAULT);
        assertThat(spec.network()).isEqualTo(NetworkPolicy.NONE);
        assertThat(spec.uid()).isEqualTo(65534);
        assertThat(spec.gid()).isEqualTo(65534);
        assertThat(spec.hostname()).isEqualTo("arrow");
        assertThat(spec.readyPort()).isEmpty();
    }

    @Test
    void givenEnvironmentReplacesDefaultsAndKeepsOrder() {
        SandboxSpec spec = SandboxSpec.builder("env").env("HOME", "/work").env("LANG", "C.UTF-8").build();

        assertThat(spec.env()).containsExactly(
                Map.entry("PATH", SandboxSpec.DEFAULT_PATH), Map.entry("HOME", "/work"), Map.entry("LANG", "C.UTF-8"));
    }

    @Test
    void specIsImmutable() {
        var argv = new ArrayList<>(List.of("true"));
        var env = new LinkedHashMap<String, String>();
        SandboxSpec spec = new SandboxSpec(argv, env, "/", List.of(), Limits.DEFAULT, NetworkPolicy.NONE, 1, 1, "h", OptionalInt.empty());
        argv.add("changed");
        env.put("X", "1");

        assertThat(spec.argv()).containsExactly("true");
        assertThat(spec.env()).isEmpty();
        assertThatThrownBy(() -> spec.env().put("Y", "2")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void rejectsEmptyArgv() {
        assertThatThrownBy(() -> SandboxSpec.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("argv");
        assertThatThrownBy(() -> SandboxSpec.builder("").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsNulInArguments() {
        assertThatThrownBy(() -> SandboxSpec.builder("echo", "a\0b").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
    }

    @Test
    void rejectsRelativeWorkdir() {
        assertThatThrownBy(() -> SandboxSpec.builder("true").workdir("tmp").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("workdir must be an absolute path: tmp");
    }

    @Test
    void rejectsBadEnvironmentNames() {
        assertThatThrownBy(() -> SandboxSpec.builder("true").env("A=B", "1").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'A=B'");
        assertThatThrownBy(() -> SandboxSpec.builder("true").env("", "1").build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsNegativeIds() {
        assertThatThrownBy(() -> SandboxSpec.builder("true").user(-1, 0).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsReadyPortsOutsideTcpRange() {
        for (int bad : new int[] {0, -1, 65536}) {
            assertThatThrownBy(() -> SandboxSpec.builder("true").readyPort(bad).build())
                    .as("port %d", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("readyPort");
        }
        assertThat(SandboxSpec.builder("true").readyPort(65535).build().readyPort()).hasValue(65535);
    }

    @Test
    void rejectsBadHostnames() {
        for (String bad : List.of("", "-x", "a b", "x".repeat(65), "a/b")) {
            assertThatThrownBy(() -> SandboxSpec.builder("true").hostname(bad).build())
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(SandboxSpec.builder("true").hostname("fn-1.local").build().hostname()).isEqualTo("fn-1.local");
    }

    @Test
    void rejectsTwoMountsAtOneTarget() {
        assertThatThrownBy(() -> SandboxSpec.builder("true")
                        .mount(Mount.readOnly(Path.of("/usr"), "/code"))
                        .mount(Mount.writable(Path.of("/tmp"), "/code"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/code");
    }

    @Test
    void mountSourceIsMadeAbsoluteAndTargetChecked() {
        Mount mount = Mount.readOnly(Path.of("some/dir"), "/code");
        assertThat(mount.source()).isEqualTo(Path.of("some/dir").toAbsolutePath());
        assertThat(mount.writable()).isFalse();

        assertThatThrownBy(() -> Mount.readOnly(Path.of("/usr"), "code")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mount.readOnly(Path.of("/usr"), "/code/../etc"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Mount.readOnly(Path.of("/usr"), "/a..b").target()).isEqualTo("/a..b");
    }
}
