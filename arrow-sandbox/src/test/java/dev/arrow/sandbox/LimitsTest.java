package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LimitsTest {

    @Test
    void defaultLimitsOnlyOpenFilesAndTmpfs() {
        assertThat(Limits.DEFAULT.memoryBytes()).isEmpty();
        assertThat(Limits.DEFAULT.cpuMillis()).isEmpty();
        assertThat(Limits.DEFAULT.pids()).isEmpty();
        assertThat(Limits.DEFAULT.wallTime()).isEmpty();
        assertThat(Limits.DEFAULT.openFiles()).isEqualTo(1024);
        assertThat(Limits.DEFAULT.tmpfsBytes()).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void withersChangeOneLimit() {
        Limits limits = Limits.DEFAULT
                .withMemoryBytes(1 << 20)
                .withCpuMillis(500)
                .withPids(16)
                .withOpenFiles(64)
                .withTmpfsBytes(4096)
                .withWallTime(Duration.ofSeconds(3));

        assertThat(limits).isEqualTo(new Limits(OptionalLong.of(1 << 20), OptionalInt.of(500), OptionalInt.of(16),
                64, 4096, Optional.of(Duration.ofSeconds(3))));
        assertThat(Limits.DEFAULT.withPids(16).memoryBytes()).isEmpty();
    }

    @Test
    void rejectsLimitsThatAreNotPositive() {
        assertThatThrownBy(() -> Limits.DEFAULT.withMemoryBytes(0)).hasMessageContaining("memory limit");
        assertThatThrownBy(() -> Limits.DEFAULT.withCpuMillis(-1)).hasMessageContaining("CPU quota");
        assertThatThrownBy(() -> Limits.DEFAULT.withPids(0)).hasMessageContaining("pids");
        assertThatThrownBy(() -> Limits.DEFAULT.withOpenFiles(0)).hasMessageContaining("open files");
        assertThatThrownBy(() -> Limits.DEFAULT.withTmpfsBytes(0)).hasMessageContaining("tmpfs");
        assertThatThrownBy(() -> Limits.DEFAULT.withWallTime(Duration.ZERO)).hasMessageContaining("wall-time");
    }
}
