package dev.arrow.runtime.instances;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NetworkNamespacesTest {

    @Test
    void aPidfdOfALiveProcessReportsItAliveUntilItEnds() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        int pidfd = NetworkNamespaces.pidfd(sleeper.pid());
        try {
            assertThat(pidfd).isNotNegative();
            assertThat(NetworkNamespaces.alive(pidfd)).isTrue();
            sleeper.destroy();
            sleeper.waitFor();
            assertThat(NetworkNamespaces.alive(pidfd)).isFalse();
        } finally {
            NetworkNamespaces.close(pidfd);
        }
    }

    /** An instance whose pid 1 has already ended is reported as ended, not as unreachable. */
    @Test
    void aProcessThatHasEndedAndBeenReapedHasNoPidfd() throws Exception {
        Process done = new ProcessBuilder("true").start();
        done.waitFor(); // the JVM reaps it: the pid names no process now
        assertThat(NetworkNamespaces.pidfd(done.pid())).isEqualTo(-1);
    }
}
