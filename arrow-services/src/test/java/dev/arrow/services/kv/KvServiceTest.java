package dev.arrow.services.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.services.PreconditionFailedException;
import dev.arrow.services.StoreExistsException;
import dev.arrow.services.StoreFullException;
import dev.arrow.services.TooManyKeysException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KvServiceTest {

    private final TestClock clock = new TestClock();
    private final MemoryKvStore store = new MemoryKvStore();
    private final KvService kv = new KvService(store, clock);

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private long put(String name, String key, String value) {
        return kv.put(name, key, bytes(value), Condition.ANY, Optional.empty()).revision();
    }

    private static void invalid(String field, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo(field));
    }

    @Test
    void aFirstWriteMakesTheStoreWithTheDefaultsAndRevisionsCountPerStore() {
        assertThat(put("config", "a", "1")).isEqualTo(1);
        assertThat(put("config", "b", "2")).isEqualTo(2);
        assertThat(put("config", "a", "3")).isEqualTo(3);
        assertThat(put("other", "a", "1")).isEqualTo(1);

        KvEntry a = kv.get("config", "a");
        assertThat(a.value()).isEqualTo(bytes("3"));
        assertThat(a.revision()).isEqualTo(3);
        assertThat(a.modifiedAt()).isEqualTo(TestClock.T0);
        StoreInfo info = kv.info("config");
        assertThat(info.options()).isEqualTo(StoreOptions.DEFAULT);
        assertThat(info.revision()).isEqualTo(3);
        assertThat(info.keys()).isEqualTo(2);
        assertThat(info.bytes()).isEqualTo(4); // two one-byte keys, two one-byte values
        assertThat(kv.stores()).extracting(StoreInfo::name).containsExactly("config", "other");
    }

    @Test
    void whatTheCacheHoldsFollowsEveryWrite() {
        put("s", "a", "1");
        assertThat(kv.cached("s", "a")).isEmpty(); // a write keeps nothing: only reads fill it
        assertThat(kv.get("s", "a").value()).isEqualTo(bytes("1"));
        assertThat(kv.cached("s", "a")).map(KvEntry::value).contains(bytes("1"));
        put("s", "a", "2");
        assertThat(kv.cached("s", "a")).isEmpty();
        assertThat(kv.get("s", "a").value()).isEqualTo(bytes("2"));
        kv.delete("s", "a", Condition.ANY);
        assertThatThrownBy(() -> kv.get("s", "a")).isInstanceOf(NotFoundException.class);
        put("s", "b", "3");
        kv.get("s", "b");
        kv.deleteStore("s");
        assertThat(kv.cached("s", "b")).isEmpty();
        assertThatThrownBy(() -> kv.get("s", "b")).isInstanceOf(NotFoundException.class);
        assertThat(kv.cached("Not A Store", "b")).isEmpty();
    }

    @Test
    void aCachedValueExpiresWithItsTtl() {
        kv.put("s", "t", bytes("v"), Condition.ANY, Optional.of(Duration.ofSeconds(5)));
        kv.get("s", "t");
        assertThat(kv.cached("s", "t")).isPresent();
        clock.advance(Duration.ofSeconds(5));
        assertThat(kv.cached("s", "t")).isEmpty();
        assertThatThrownBy(() -> kv.get("s", "t")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aDeleteTakesARevisionToo() {
        put("s", "a", "1");
        kv.delete("s", "a", Condition.ANY);
        assertThat(put("s", "a", "again")).isEqualTo(3);
        assertThatThrownBy(() -> kv.delete("s", "missing", Condition.ANY)).isInstanceOfSatisfying(
                NotFoundException.class, e -> assertThat(e.kind()).isEqualTo("key"));
    }

    @Test
    void createOnlyAndCompareAndSet() {
        long first = kv.put("s", "k", bytes("v1"), Condition.ABSENT, Optional.empty()).revision();
        assertThatThrownBy(() -> kv.put("s", "k", bytes("v2"), Condition.ABSENT, Optional.empty()))
                .isInstanceOfSatisfying(PreconditionFailedException.class, e -> {
                    assertThat(e.current()).isEqualTo(OptionalLong.of(first));
                    assertThat(e.getMessage()).contains("exists already");
                });
        long second = kv.put("s", "k", bytes("v2"), new Condition.AtRevision(first), Optional.empty()).revision();
        assertThatThrownBy(() -> kv.put("s", "k", bytes("v3"), new Condition.AtRevision(first), Optional.empty()))
                .isInstanceOfSatisfying(PreconditionFailedException.class, e -> {
                    assertThat(e.current()).isEqualTo(OptionalLong.of(second));
                    assertThat(e.getMessage()).contains("is at revision " + second + ", not " + first);
                });
        assertThatThrownBy(() -> kv.put("s", "absent", bytes("x"), new Condition.AtRevision(1), Optional.empty()))
                .isInstanceOfSatisfying(PreconditionFailedException.class, e -> assertThat(e.current()).isEmpty());
        assertThatThrownBy(() -> kv.delete("s", "k", new Condition.AtRevision(first)))
                .isInstanceOf(PreconditionFailedException.class);
        assertThat(kv.get("s", "k").value()).isEqualTo(bytes("v2"));
        kv.delete("s", "k", new Condition.AtRevision(second));
        assertThat(kv.put("s", "k", bytes("v4"), Condition.ABSENT, Optional.empty()).revision()).isEqualTo(second + 2);
    }

    @Test
    void aConditionalWriteToNoStoreMakesNoStore() {
        assertThatThrownBy(() -> kv.put("ghost", "k", bytes("v"), new Condition.AtRevision(3), Optional.empty()))
                .isInstanceOf(PreconditionFailedException.class);
        assertThatThrownBy(() -> kv.info("ghost")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void anEntryIsAbsentEverywhereFromItsExpiry() {
        KvStore.PutResult.Written written = kv.put("s", "short", bytes("v"), Condition.ANY,
                Optional.of(Duration.ofSeconds(10)));
        put("s", "long", "v");
        assertThat(written.expiresAt()).contains(TestClock.T0.plusSeconds(10));
        clock.advance(Duration.ofMillis(9_999));
        assertThat(kv.get("s", "short").expiresAt()).contains(TestClock.T0.plusSeconds(10));
        assertThat(kv.info("s").keys()).isEqualTo(2);

        clock.advance(Duration.ofMillis(1));
        assertThatThrownBy(() -> kv.get("s", "short")).isInstanceOf(NotFoundException.class);
        assertThat(kv.list("s", "", Optional.empty(), 10).keys()).extracting(KeyInfo::key).containsExactly("long");
        assertThat(kv.info("s").keys()).isEqualTo(1);
        assertThat(kv.info("s").bytes()).isEqualTo(5);
        // Absent to a create, too.
        kv.put("s", "short", bytes("new"), Condition.ABSENT, Optional.empty());
        assertThat(kv.get("s", "short").expiresAt()).isEmpty();
    }

    @Test
    void aPutWithoutTtlKeepsTheValueUntilItIsOverwritten() {
        kv.put("s", "k", bytes("v"), Condition.ANY, Optional.of(Duration.ofSeconds(1)));
        put("s", "k", "forever");
        clock.advance(Duration.ofDays(400));
        assertThat(kv.get("s", "k").value()).isEqualTo(bytes("forever"));
    }

    @Test
    void writesSweepExpiredEntriesAtMostEveryMinute() {
        put("s", "a", "1");
        put("s", "b", "2");
        assertThat(store.sweeps).isEqualTo(1);
        clock.advance(KvService.SWEEP_EVERY);
        put("s", "c", "3");
        assertThat(store.sweeps).isEqualTo(2);
    }

    @Test
    void ttlsFromOneSecondTo365Days() {
        kv.put("s", "a", bytes("v"), Condition.ANY, Optional.of(Duration.ofSeconds(1)));
        kv.put("s", "b", bytes("v"), Condition.ANY, Optional.of(Duration.ofDays(365)));
        invalid("ttl", () -> kv.put("s", "c", bytes("v"), Condition.ANY, Optional.of(Duration.ofMillis(999))));
        invalid("ttl", () -> kv.put("s", "c", bytes("v"), Condition.ANY, Optional.of(Duration.ofDays(366))));
        invalid("ttl", () -> kv.put("s", "c", bytes("v"), Condition.ANY, Optional.of(Duration.ZERO)));
        assertThat(kv.info("s").keys()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Upper", "under_score", "-leading", "trailing-", "dot.ted", "sp ace"})
    void storeNamesAreArrowNames(String name) {
        invalid("store", () -> put(name, "k", "v"));
        invalid("store", () -> kv.info(name));
    }

    @Test
    void aStoreNameOf63CharactersIsTheLongest() {
        put("a".repeat(63), "k", "v");
        invalid("store", () -> put("a".repeat(64), "k", "v"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "nul\u0000", "tab\there", "new\nline", "\u001f", "del\u007f", "lone\ud800", "\udc00x"})
    void keysWithoutControlCharactersAndValidUtf8(String key) {
        invalid("key", () -> put("s", key, "v"));
        invalid("key", () -> kv.get("s", key));
        invalid("key", () -> kv.delete("s", key, Condition.ANY));
        assertThatThrownBy(() -> kv.info("s")).as("nothing was stored").isInstanceOf(NotFoundException.class);
    }

    @Test
    void keysAreUpTo1024BytesOfUtf8() {
        put("s", "k".repeat(1024), "v");
        put("s", "é".repeat(512), "v"); // two bytes each
        put("s", "a/b c?d#e%f\u0080\u00a0\uffff😀", "v");
        invalid("key", () -> put("s", "k".repeat(1025), "v"));
        invalid("key", () -> put("s", "é".repeat(513), "v"));
        invalid("key", () -> put("s", "😀".repeat(256) + "k", "v"));
        assertThat(kv.info("s").keys()).isEqualTo(3);
    }

    @Test
    void valuesUpTo1MiBAndEmptyOnes() {
        kv.put("s", "max", new byte[KvService.MAX_VALUE_BYTES], Condition.ANY, Optional.empty());
        kv.put("s", "empty", new byte[0], Condition.ANY, Optional.empty());
        assertThat(kv.get("s", "empty").value()).isEmpty();
        invalid("value", () -> kv.put("s", "big", new byte[KvService.MAX_VALUE_BYTES + 1], Condition.ANY,
                Optional.empty()));
        assertThat(kv.info("s").keys()).isEqualTo(2);
    }

    @Test
    void aStoreMadeWithItsCapsAnswersTheCapsWhenFull() {
        KvStore.Created created = kv.create("small", new StoreOptions(20, 2));
        assertThat(created.created()).isTrue();
        put("small", "a", "1234");
        put("small", "b", "1234");
        assertThatThrownBy(() -> put("small", "c", "1")).isInstanceOfSatisfying(TooManyKeysException.class,
                e -> assertThat(e.maxKeys()).isEqualTo(2));
        put("small", "a", "123456789"); // an overwrite adds no key
        assertThatThrownBy(() -> put("small", "b", "1234567890")).isInstanceOfSatisfying(StoreFullException.class,
                e -> assertThat(e.getMessage()).contains("15 of its 20 bytes")); // 10 + 5 of 20
        assertThat(kv.get("small", "b").value()).isEqualTo(bytes("1234"));
        kv.delete("small", "a", Condition.ANY);
        put("small", "c", "1");
        assertThat(kv.info("small").keys()).isEqualTo(2);
    }

    @Test
    void expiredEntriesMakeRoom() {
        kv.create("one", new StoreOptions(1000, 1));
        kv.put("one", "a", bytes("v"), Condition.ANY, Optional.of(Duration.ofSeconds(1)));
        assertThatThrownBy(() -> put("one", "b", "v")).isInstanceOf(TooManyKeysException.class);
        clock.advance(Duration.ofSeconds(1));
        put("one", "b", "v");
    }

    @Test
    void createIsRetriableButNotWithOtherOptions() {
        var options = new StoreOptions(1 << 20, 10);
        assertThat(kv.create("s", options).created()).isTrue();
        assertThat(kv.create("s", options).created()).isFalse();
        assertThatThrownBy(() -> kv.create("s", new StoreOptions(1 << 20, 11)))
                .isInstanceOfSatisfying(StoreExistsException.class, e -> assertThat(e.name()).isEqualTo("s"));
        put("implicit", "k", "v");
        assertThat(kv.create("implicit", StoreOptions.DEFAULT).created()).isFalse();
    }

    @Test
    void capsHaveBounds() {
        invalid("maxBytes", () -> new StoreOptions(0, 1));
        invalid("maxBytes", () -> new StoreOptions(StoreOptions.MAX_BYTES + 1, 1));
        invalid("maxKeys", () -> new StoreOptions(1, 0));
        invalid("maxKeys", () -> new StoreOptions(1, StoreOptions.MAX_KEYS + 1));
        new StoreOptions(StoreOptions.MAX_BYTES, StoreOptions.MAX_KEYS);
    }

    @Test
    void listingPagesThroughAPrefixInByteOrder() {
        for (String key : List.of("user/b", "user/a", "users", "user/😀", "user/\uffff", "usex", "other")) {
            put("s", key, key);
        }
        var seen = new ArrayList<String>();
        Optional<String> cursor = Optional.empty();
        int pages = 0;
        do {
            KvPage page = kv.list("s", "user/", cursor, 2);
            page.keys().forEach(info -> seen.add(info.key()));
            cursor = page.next();
            pages++;
        } while (cursor.isPresent());
        // U+FFFF is EF BF BF in UTF-8, below the emoji's F0 9F 98 80, though above its surrogates in Java's order.
        assertThat(seen).containsExactly("user/a", "user/b", "user/\uffff", "user/😀");
        assertThat(pages).isEqualTo(2);
        assertThat(kv.list("s", "", Optional.empty(), 1000).keys()).hasSize(7);
        KeyInfo info = kv.list("s", "other", Optional.empty(), 1).keys().getFirst();
        assertThat(info.size()).isEqualTo(5);
        assertThat(info.revision()).isEqualTo(7);
    }

    @Test
    void listingChecksItsArguments() {
        put("s", "k", "v");
        invalid("limit", () -> kv.list("s", "", Optional.empty(), 0));
        invalid("limit", () -> kv.list("s", "", Optional.empty(), KvService.MAX_LIMIT + 1));
        invalid("cursor", () -> kv.list("s", "", Optional.of("not base64!"), 10));
        invalid("cursor", () -> kv.list("s", "", Optional.of(""), 10));
        invalid("prefix", () -> kv.list("s", "a\nb", Optional.empty(), 10));
        assertThatThrownBy(() -> kv.list("none", "", Optional.empty(), 10)).isInstanceOfSatisfying(
                NotFoundException.class, e -> assertThat(e.kind()).isEqualTo("kv store"));
    }

    @Test
    void theTwoKindsOfAbsence() {
        assertThatThrownBy(() -> kv.get("none", "k")).isInstanceOfSatisfying(NotFoundException.class,
                e -> assertThat(e.kind()).isEqualTo("kv store"));
        put("s", "k", "v");
        assertThatThrownBy(() -> kv.get("s", "other")).isInstanceOfSatisfying(NotFoundException.class,
                e -> assertThat(e.kind()).isEqualTo("key"));
        assertThatThrownBy(() -> kv.delete("none", "k", Condition.ANY)).isInstanceOfSatisfying(NotFoundException.class,
                e -> assertThat(e.kind()).isEqualTo("kv store"));
        kv.deleteStore("s");
        assertThatThrownBy(() -> kv.deleteStore("s")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aDeleteCannotAskForAbsence() {
        put("s", "k", "v");
        invalid("condition", () -> kv.delete("s", "k", Condition.ABSENT));
        invalid("revision", () -> new Condition.AtRevision(0));
        assertThat(kv.get("s", "k").revision()).isEqualTo(1);
    }

    @Test
    void cursorsRoundTripAnyKey() {
        for (String key : List.of("a", "a/b", "😀", "k".repeat(1024))) {
            assertThat(KvService.decodeCursor(KvService.encodeCursor(key))).isEqualTo(key);
        }
    }
}
