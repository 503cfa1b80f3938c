package dev.arrow.services.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KvCacheTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    private static KvEntry entry(String key, String value, long revision, Optional<Instant> expiresAt) {
        return new KvEntry(key, value.getBytes(StandardCharsets.UTF_8), revision, T0, expiresAt);
    }

    private final KvCache cache = new KvCache(10_000, 1_000);

    @Test
    void aReadIsKeptWhenNoWriteCameBetweenItsStampAndItsOffer() {
        long stamp = cache.stamp();
        cache.offer("s", entry("k", "v1", 1, Optional.empty()), stamp);
        assertThat(cache.get("s", "k", T0)).map(KvEntry::revision).contains(1L);
        assertThat(cache.get("other", "k", T0)).isEmpty();
    }

    @Test
    void aReadThatAWriteOvertookIsNotKept() {
        long stamp = cache.stamp();
        cache.invalidate("s", "unrelated"); // any write, begun or ended, since the read started
        cache.offer("s", entry("k", "stale", 1, Optional.empty()), stamp);
        assertThat(cache.get("s", "k", T0)).isEmpty();
    }

    @Test
    void aWriteDropsItsKeyAndADeletedStoreDropsEverything() {
        cache.offer("s", entry("a", "1", 1, Optional.empty()), cache.stamp());
        cache.offer("s", entry("b", "2", 2, Optional.empty()), cache.stamp());
        cache.invalidate("s", "a");
        assertThat(cache.get("s", "a", T0)).isEmpty();
        assertThat(cache.get("s", "b", T0)).isPresent();
        cache.invalidateAll();
        assertThat(cache.get("s", "b", T0)).isEmpty();
    }

    @Test
    void anExpiredValueIsNeverAnswered() {
        cache.offer("s", entry("k", "v", 1, Optional.of(T0.plusSeconds(10))), cache.stamp());
        assertThat(cache.get("s", "k", T0.plusSeconds(9))).isPresent();
        assertThat(cache.get("s", "k", T0.plusSeconds(10))).isEmpty();
    }

    @Test
    void largeValuesAreNotKeptAndTheBudgetHolds() {
        cache.offer("s", entry("big", "x".repeat(1_001), 1, Optional.empty()), cache.stamp());
        assertThat(cache.get("s", "big", T0)).isEmpty();
        for (int i = 0; i < 100; i++) {
            cache.offer("s", entry("k" + i, "x".repeat(900), i, Optional.empty()), cache.stamp());
        }
        long held = java.util.stream.IntStream.range(0, 100).filter(i -> cache.get("s", "k" + i, T0).isPresent()).count();
        assertThat(held).isBetween(1L, 10L); // 10,000 bytes hold about ten of them
        assertThat(cache.get("s", "k99", T0)).isPresent();
    }
}
