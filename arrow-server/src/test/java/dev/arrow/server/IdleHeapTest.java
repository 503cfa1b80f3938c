package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdleHeapTest {

    private static final long MIB = 1L << 20;

    @Test
    void collectsOnceTheHeapGrewAndNoCollectionRanForAPeriod() {
        var decision = new IdleHeap.Decision(32 * MIB);
        assertThat(decision.collect(5, 24 * MIB)).isFalse(); // the first look only learns the count
        assertThat(decision.collect(9, 400 * MIB)).as("busy: collections still running").isFalse();
        assertThat(decision.collect(9, 400 * MIB)).as("quiet, and far over the floor").isTrue();
    }

    @Test
    void aQuietHeapNearItsFloorIsLeftAlone() {
        var decision = new IdleHeap.Decision(32 * MIB);
        decision.collect(5, 24 * MIB);
        assertThat(decision.collect(5, 50 * MIB)).isFalse();
        assertThat(decision.collect(5, 56 * MIB)).isFalse();
        assertThat(decision.collect(5, 57 * MIB)).isTrue();
    }

    @Test
    void afterARelease_theFloorIsWhatTheHeapKept_soALargeLiveSetIsNotCollectedAgainAndAgain() {
        var decision = new IdleHeap.Decision(32 * MIB);
        decision.collect(5, 24 * MIB);
        decision.collect(8, 300 * MIB);
        assertThat(decision.collect(8, 300 * MIB)).isTrue();
        decision.collected(9, 200 * MIB); // the live data really is large
        assertThat(decision.collect(9, 200 * MIB)).isFalse();
        assertThat(decision.collect(9, 220 * MIB)).isFalse();
        assertThat(decision.collect(9, 233 * MIB)).isTrue();
    }
}
