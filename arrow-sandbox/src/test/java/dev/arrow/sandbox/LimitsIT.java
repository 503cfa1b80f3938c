package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Each limit ends or throttles the sandbox as promised, and the host does not notice. */
class LimitsIT {

    /** Runs one sandbox; {@link PrewarmedLimitsIT} runs them all from a prewarm pool. */
    SandboxRun run(SandboxSpec spec) throws Exception {
        return SandboxRun.run(spec);
    }

    @Test
    void aMemoryHogEndsAsOutOfMemory() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("python3", "-c",
                        "x = []\nwhile True: x.append(bytearray(1 << 20))")
                .limits(Limits.DEFAULT.withMemoryBytes(64L << 20).withWallTime(Duration.ofSeconds(60)))
                .build());

        assertThat(run.result().outcome()).isEqualTo(new Outcome.OutOfMemory());
        assertThat(run.result().outcome().exitStatus()).isEqualTo(137);
        assertThat(run.result().peakMemoryBytes()).isBetween(48L << 20, 64L << 20);
        // the host, this JVM included, carries on
        assertThat(new byte[128 << 20]).hasSize(128 << 20);
    }

    @Test
    void aForkBombIsContainedByThePidsLimit() throws Exception {
        String marker = "fork-bomb-" + System.nanoTime();
        SandboxRun run = run(SandboxSpec.builder("sh", "-c", "f(){ f | f & }; f; sleep 30", marker)
                .limits(Limits.DEFAULT.withPids(32).withWallTime(Duration.ofSeconds(20)))
                .build());

        assertThat(run.result().outcome()).isEqualTo(new Outcome.PidsExhausted());
        assertThat(run.result().wallTime()).isLessThan(Duration.ofSeconds(10));
        assertThat(HostProcesses.withMarker(marker)).isEmpty();
    }

    @Test
    void aBusyLoopUnderHalfACpuGetsAboutHalfACore() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("python3", "-c",
                        "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 2: pass")
                .limits(Limits.DEFAULT.withCpuMillis(500))
                .build());

        assertThat(run.result().outcome()).isEqualTo(new Outcome.Exited(0));
        double cpu = run.result().cpuUser().plus(run.result().cpuSystem()).toNanos();
        double share = cpu / run.result().wallTime().toNanos();
        assertThat(share).isCloseTo(0.5, within(0.12));
    }

    @Test
    void aTimeoutKillsTheWholeTree() throws Exception {
        String marker = "timeout-tree-" + System.nanoTime();
        SandboxRun run = run(SandboxSpec.builder("sh", "-c",
                        "sh -c 'sleep 300' & sh -c 'sleep 300' & sleep 300", marker)
                .limits(Limits.DEFAULT.withWallTime(Duration.ofMillis(500)))
                .build());

        assertThat(run.result().outcome()).isEqualTo(new Outcome.TimedOut());
        assertThat(run.result().outcome().exitStatus()).isEqualTo(124);
        assertThat(run.result().wallTime()).isBetween(Duration.ofMillis(450), Duration.ofSeconds(5));
        assertThat(HostProcesses.withMarker(marker)).isEmpty();
        assertThat(HostProcesses.withMarker("sleep 300")).isEmpty();
    }

    @Test
    void theTmpfsSizeCapsWhatTmpCanHold() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("sh", "-c",
                        "head -c 20000000 /dev/zero > /tmp/big; echo status=$?")
                .limits(Limits.DEFAULT.withTmpfsBytes(8L << 20))
                .build());

        assertThat(run.stdout()).contains("status=1");
        assertThat(run.stderr()).contains("No space left on device");
    }

    @Test
    void theOpenFilesLimitApplies() throws Exception {
        SandboxRun run = run(SandboxSpec.builder("sh", "-c", "ulimit -n; ulimit -c")
                .limits(Limits.DEFAULT.withOpenFiles(77))
                .build());

        assertThat(run.stdout()).isEqualTo("77\n0\n");
    }
}
