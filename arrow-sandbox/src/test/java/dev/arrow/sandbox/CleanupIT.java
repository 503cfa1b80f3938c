package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Hundreds of sandboxes, some killed and some timed out, leave nothing behind on the host. */
class CleanupIT {

    @Test
    void twoHundredSandboxesLeaveNoProcessCgroupOrMount() throws Exception {
        String marker = "cleanup-" + System.nanoTime();
        long mountsBefore = HostProcesses.mountCount();
        List<java.nio.file.Path> cgroupsBefore = HostProcesses.sandboxCgroups();
        var outcomes = new ArrayList<Outcome>();

        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<Outcome>> runs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int kind = i % 4;
                runs.add(pool.submit(() -> runOne(kind, marker)));
            }
            for (Future<Outcome> run : runs) {
                outcomes.add(run.get());
            }
        }

        assertThat(outcomes).filteredOn(o -> o instanceof Outcome.Exited e && e.code() == 0).hasSize(50);
        assertThat(outcomes).filteredOn(o -> o instanceof Outcome.TimedOut).hasSize(50);
        assertThat(outcomes).filteredOn(o -> o instanceof Outcome.Signaled s && s.signal() == 9).hasSize(100);
        assertThat(HostProcesses.withMarker(marker)).isEmpty();
        assertThat(HostProcesses.sandboxCgroups()).isEqualTo(cgroupsBefore);
        assertThat(HostProcesses.mountCount()).isEqualTo(mountsBefore);
    }

    private static Outcome runOne(int kind, String marker) throws Exception {
        return switch (kind) {
            case 0 -> SandboxRun.run(SandboxSpec.builder("sh", "-c", "exit 0", marker).build()).result().outcome();
            case 1 -> SandboxRun.run(SandboxSpec.builder("sh", "-c", "sleep 60 & sleep 60", marker)
                    .limits(Limits.DEFAULT.withWallTime(Duration.ofMillis(100)).withPids(16).withMemoryBytes(64L << 20))
                    .build()).result().outcome();
            case 2 -> {
                // killed from outside while its children run
                try (Sandbox sandbox = Sandboxes.processDriver().start(
                        SandboxSpec.builder("sh", "-c", "sleep 60 & sleep 60", marker).build(), Stdio.DISCARD)) {
                    Thread.sleep(30);
                    sandbox.kill();
                    yield sandbox.waitFor().outcome();
                }
            }
            default -> SandboxRun.run(SandboxSpec.builder("sh", "-c", "kill -9 $$", marker).build()).result().outcome();
        };
    }
}
