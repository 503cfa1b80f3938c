package dev.arrow.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.services.kv.Condition;
import dev.arrow.services.kv.KeyInfo;
import dev.arrow.services.kv.KvEntry;
import dev.arrow.services.kv.KvPage;
import dev.arrow.services.kv.KvStore;
import dev.arrow.services.kv.KvStore.DeleteResult;
import dev.arrow.services.kv.KvStore.PutResult;
import dev.arrow.services.kv.StoreInfo;
import dev.arrow.services.kv.StoreOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteKvStoreTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00.123456789Z");
    private static final StoreOptions DEFAULTS = StoreOptions.DEFAULT;

    @TempDir
    Path dir;

    private SqliteState state;
    private KvStore kv;

    @BeforeEach
    void open() {
        state = SqliteState.open(dir.resolve("state.db"));
        kv = state.kv();
    }

    @AfterEach
    void close() {
        state.close();
    }

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    private PutResult.Written put(String store, String key, String value) {
        return put(store, key, value, Condition.ANY, Optional.empty(), at(0));
    }

    private PutResult.Written put(String store, String key, String value, Condition condition,
            Optional<Instant> expiresAt, Instant now) {
        PutResult result = kv.put(store, key, value.getBytes(UTF_8), condition, expiresAt, DEFAULTS, now);
        assertThat(result).isInstanceOf(PutResult.Written.class);
        return (PutResult.Written) result;
    }

    private static List<String> keys(KvPage page) {
        return page.keys().stream().map(KeyInfo::key).toList();
    }

    @Test
    void aPutReadsBackWithItsRevisionAndSurvivesReopening() {
        PutResult.Written first = put("s", "greeting", "hello", Condition.ANY, Optional.of(at(60)), at(0));
        assertThat(first).isEqualTo(new PutResult.Written(1, at(0), Optional.of(at(60)), true));
        assertThat(put("s", "other", "x").storeCreated()).isFalse();

        state.close();
        state = SqliteState.open(dir.resolve("state.db"));
        kv = state.kv();

        KvEntry entry = kv.get("s", "greeting", at(1)).orElseThrow();
        assertThat(entry).isEqualTo(new KvEntry("greeting", "hello".getBytes(UTF_8), 1, at(0), Optional.of(at(60))));
        StoreInfo info = kv.store("s", at(1)).orElseThrow();
        assertThat(info).isEqualTo(new StoreInfo("s", DEFAULTS, 8 + 5 + 5 + 1, 2, 2, at(0)));
        assertThat(kv.get("s", "nope", at(1))).isEmpty();
        assertThat(kv.get("nostore", "greeting", at(1))).isEmpty();
    }

    @Test
    void revisionsAreOneSequencePerStoreThatDeletesAdvanceToo() {
        assertThat(put("a", "k", "1").revision()).isEqualTo(1);
        assertThat(put("a", "k", "2").revision()).isEqualTo(2);
        assertThat(put("b", "k", "1").revision()).isEqualTo(1);
        assertThat(kv.delete("a", "k", Condition.ANY, at(0))).isEqualTo(new DeleteResult.Deleted(3));
        assertThat(put("a", "k", "3").revision()).isEqualTo(4);
        assertThat(kv.store("a", at(0)).orElseThrow().revision()).isEqualTo(4);

        assertThat(kv.deleteStore("a")).isTrue();
        assertThat(kv.deleteStore("a")).isFalse();
        assertThat(kv.get("a", "k", at(0))).isEmpty();
        assertThat(put("a", "k", "again").revision()).as("a new store starts again").isEqualTo(1);
        assertThat(kv.store("b", at(0)).orElseThrow().keys()).isEqualTo(1);
    }

    @Test
    void conditionsAreCheckedInTheWrite() {
        put("s", "k", "v1");
        assertThat(kv.put("s", "k", "x".getBytes(UTF_8), Condition.ABSENT, Optional.empty(), DEFAULTS, at(0)))
                .isEqualTo(new PutResult.ConditionFailed(OptionalLong.of(1)));
        assertThat(kv.put("s", "k", "x".getBytes(UTF_8), new Condition.AtRevision(2), Optional.empty(), DEFAULTS, at(0)))
                .isEqualTo(new PutResult.ConditionFailed(OptionalLong.of(1)));
        assertThat(put("s", "k", "v2", new Condition.AtRevision(1), Optional.empty(), at(0)).revision()).isEqualTo(2);
        assertThat(kv.delete("s", "k", new Condition.AtRevision(1), at(0)))
                .isEqualTo(new DeleteResult.ConditionFailed(OptionalLong.of(2)));
        assertThat(kv.delete("s", "absent", new Condition.AtRevision(1), at(0)))
                .isEqualTo(new DeleteResult.ConditionFailed(OptionalLong.empty()));
        assertThat(kv.delete("s", "absent", Condition.ANY, at(0))).isEqualTo(new DeleteResult.NoKey());
        assertThat(kv.delete("none", "k", Condition.ANY, at(0))).isEqualTo(new DeleteResult.NoStore());
        assertThat(kv.get("s", "k", at(0)).orElseThrow().value()).isEqualTo("v2".getBytes(UTF_8));
        assertThat(kv.store("s", at(0)).orElseThrow().revision()).as("failed writes take no revision").isEqualTo(2);

        // A failed write to no store makes none.
        assertThat(kv.put("ghost", "k", new byte[1], new Condition.AtRevision(1), Optional.empty(), DEFAULTS, at(0)))
                .isInstanceOf(PutResult.ConditionFailed.class);
        assertThat(kv.store("ghost", at(0))).isEmpty();
    }

    @Test
    void compareAndSetFromManyThreadsLosesNoUpdate() throws Exception {
        put("s", "counter", "0");
        var successes = new AtomicInteger();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var futures = new ArrayList<Future<?>>();
            for (int t = 0; t < 8; t++) {
                futures.add(threads.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        while (true) {
                            KvEntry read = kv.get("s", "counter", at(0)).orElseThrow();
                            int next = Integer.parseInt(new String(read.value(), UTF_8)) + 1;
                            PutResult result = kv.put("s", "counter", Integer.toString(next).getBytes(UTF_8),
                                    new Condition.AtRevision(read.revision()), Optional.empty(), DEFAULTS, at(0));
                            if (result instanceof PutResult.Written) {
                                successes.incrementAndGet();
                                break;
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        }
        assertThat(successes.get()).isEqualTo(200);
        KvEntry counter = kv.get("s", "counter", at(0)).orElseThrow();
        assertThat(new String(counter.value(), UTF_8)).isEqualTo("200");
        assertThat(counter.revision()).isEqualTo(201);
    }

    @Test
    void aCreateOnlyPutFromManyThreadsHasOneWinner() throws Exception {
        var winners = new AtomicInteger();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 16; t++) {
                threads.submit(() -> {
                    if (kv.put("s", "lock", new byte[0], Condition.ABSENT, Optional.empty(), DEFAULTS, at(0))
                            instanceof PutResult.Written) {
                        winners.incrementAndGet();
                    }
                });
            }
        }
        assertThat(winners.get()).isEqualTo(1);
    }

    @Test
    void capsAreCheckedAndCountsKeptInTheWrite() {
        assertThat(kv.create("small", new StoreOptions(20, 2), at(0)).created()).isTrue();
        assertThat(kv.create("small", new StoreOptions(99, 9), at(1)))
                .isEqualTo(new KvStore.Created(new StoreInfo("small", new StoreOptions(20, 2), 0, 0, 0, at(0)), false));
        put("small", "a", "1234");
        put("small", "b", "1234");
        PutResult third = kv.put("small", "c", new byte[1], Condition.ANY, Optional.empty(), DEFAULTS, at(0));
        assertThat(third).isInstanceOfSatisfying(PutResult.TooManyKeys.class,
                many -> assertThat(many.store().keys()).isEqualTo(2));
        put("small", "a", "123456789");
        PutResult tooBig = kv.put("small", "b", "1234567890".getBytes(UTF_8), Condition.ANY, Optional.empty(), DEFAULTS,
                at(0));
        assertThat(tooBig).isInstanceOfSatisfying(PutResult.StoreFull.class, full -> {
            assertThat(full.store().bytes()).isEqualTo(15);
            assertThat(full.needed()).isEqualTo(6);
        });
        assertThat(kv.store("small", at(0)).orElseThrow()).extracting(StoreInfo::bytes, StoreInfo::keys, StoreInfo::revision)
                .containsExactly(15L, 2L, 3L);

        // A first write larger than the options the store would be made with makes no store.
        PutResult refused = kv.put("tiny", "k", new byte[100], Condition.ANY, Optional.empty(), new StoreOptions(50, 5),
                at(0));
        assertThat(refused).isInstanceOf(PutResult.StoreFull.class);
        assertThat(kv.store("tiny", at(0))).isEmpty();
    }

    @Test
    void expiredEntriesAreAbsentThenRemovedByWritesAndSweeps() throws Exception {
        kv.create("s", new StoreOptions(1000, 3), at(0));
        put("s", "a", "1", Condition.ANY, Optional.of(at(10)), at(0));
        put("s", "b", "2", Condition.ANY, Optional.of(at(20)), at(0));
        put("s", "c", "3");
        assertThat(kv.get("s", "a", at(9))).isPresent();
        assertThat(kv.get("s", "a", at(10))).isEmpty();
        assertThat(keys(kv.list("s", "", Optional.empty(), 10, at(10)).orElseThrow())).containsExactly("b", "c");
        assertThat(kv.store("s", at(10)).orElseThrow()).extracting(StoreInfo::keys, StoreInfo::bytes)
                .containsExactly(2L, 4L);
        assertThat(rows("s")).isEqualTo(3);

        // A create over an expired key succeeds and replaces its row.
        put("s", "a", "new", Condition.ABSENT, Optional.empty(), at(10));
        assertThat(rows("s")).isEqualTo(3);
        // The store is at 3 keys, but one has expired: a new key makes room by removing it.
        put("s", "d", "4", Condition.ANY, Optional.empty(), at(20));
        assertThat(rows("s")).isEqualTo(3);
        assertThat(kv.store("s", at(20)).orElseThrow()).extracting(StoreInfo::keys, StoreInfo::bytes, StoreInfo::revision)
                .containsExactly(3L, 8L, 5L);

        assertThat(kv.delete("s", "c", Condition.ANY, at(20))).isEqualTo(new DeleteResult.Deleted(6));
        put("s", "e", "5", Condition.ANY, Optional.of(at(30)), at(20));
        assertThat(kv.sweep(at(29), 100)).isZero();
        assertThat(kv.delete("s", "e", Condition.ANY, at(30))).isEqualTo(new DeleteResult.NoKey());
        assertThat(rows("s")).as("the delete removed the expired row").isEqualTo(2);
        for (int i = 0; i < 5; i++) {
            put("t", "k" + i, "v", Condition.ANY, Optional.of(at(40)), at(30));
        }
        assertThat(kv.sweep(at(40), 3)).isEqualTo(3);
        assertThat(kv.sweep(at(40), 3)).isEqualTo(2);
        assertThat(rows("t")).isZero();
        assertThat(kv.store("t", at(40)).orElseThrow()).extracting(StoreInfo::keys, StoreInfo::bytes).containsExactly(0L, 0L);
        assertCountsMatchRows();
    }

    @Test
    void listingIsByBytesWithPrefixesAndCursors() {
        // Byte order of UTF-8: 'b' (62) before U+00FF (C3 BF) before U+1F600 (F0 9F 98 80).
        List<String> all = List.of("a", "a/", "a/b", "a/b/c", "a/z", "ab", "a\u00ff", "a😀", "b");
        for (String key : all.reversed()) {
            put("s", key, key);
        }
        KvPage first = kv.list("s", "a/", Optional.empty(), 2, at(0)).orElseThrow();
        assertThat(keys(first)).containsExactly("a/", "a/b");
        assertThat(first.next()).contains("a/b");
        KvPage second = kv.list("s", "a/", first.next(), 2, at(0)).orElseThrow();
        assertThat(keys(second)).containsExactly("a/b/c", "a/z");
        assertThat(second.next()).isEmpty();

        assertThat(keys(kv.list("s", "", Optional.empty(), 100, at(0)).orElseThrow())).containsExactlyElementsOf(all);
        assertThat(keys(kv.list("s", "a\u00ff", Optional.empty(), 100, at(0)).orElseThrow())).containsExactly("a\u00ff");
        assertThat(keys(kv.list("s", "a😀", Optional.empty(), 100, at(0)).orElseThrow())).containsExactly("a😀");
        assertThat(keys(kv.list("s", "c", Optional.empty(), 100, at(0)).orElseThrow())).isEmpty();
        assertThat(kv.list("none", "", Optional.empty(), 100, at(0))).isEmpty();
        KeyInfo info = kv.list("s", "a/b/c", Optional.empty(), 1, at(0)).orElseThrow().keys().getFirst();
        assertThat(info).isEqualTo(new KeyInfo("a/b/c", 6, 5, at(0), Optional.empty()));
    }

    @Test
    void upperBoundsOfPrefixes() {
        assertThat(SqliteKvStore.upperBound(new byte[] {'a'})).containsExactly('b');
        assertThat(SqliteKvStore.upperBound(new byte[] {'a', (byte) 0xff})).containsExactly('b');
        assertThat(SqliteKvStore.upperBound(new byte[] {(byte) 0xff})).isNull();
        assertThat(SqliteKvStore.upperBound(new byte[] {'a', (byte) 0xbf})).containsExactly('a', (byte) 0xc0);
    }

    @Test
    void anEmptyValueIsAValue() {
        kv.put("s", "empty", new byte[0], Condition.ANY, Optional.empty(), DEFAULTS, at(0));
        assertThat(kv.get("s", "empty", at(0)).orElseThrow().value()).isEmpty();
        assertThat(kv.store("s", at(0)).orElseThrow().bytes()).isEqualTo(5);
    }

    @Test
    void aValueOf1MiBRoundTrips() {
        byte[] value = new byte[1 << 20];
        new Random(7).nextBytes(value);
        kv.put("s", "big", value, Condition.ANY, Optional.empty(), DEFAULTS, at(0));
        assertThat(kv.get("s", "big", at(0)).orElseThrow().value()).isEqualTo(value);
        assertThat(kv.list("s", "", Optional.empty(), 10, at(0)).orElseThrow().keys().getFirst().size())
                .isEqualTo(1 << 20);
    }

    @Test
    void theCountsStayTrueThroughRandomWrites() throws Exception {
        var random = new Random(42);
        kv.create("r", new StoreOptions(4000, 40), at(0));
        for (int i = 0; i < 600; i++) {
            String key = "k" + random.nextInt(60);
            Instant now = at(i);
            switch (random.nextInt(4)) {
                case 0, 1 -> kv.put("r", key, new byte[random.nextInt(200)], Condition.ANY,
                        random.nextBoolean() ? Optional.of(now.plusSeconds(1 + random.nextInt(30))) : Optional.empty(),
                        DEFAULTS, now);
                case 2 -> kv.delete("r", key, Condition.ANY, now);
                default -> kv.sweep(now, 1 + random.nextInt(5));
            }
        }
        assertCountsMatchRows();
    }

    /** Every store's row counts what its entries hold. */
    private void assertCountsMatchRows() throws Exception {
        try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("state.db"));
             ResultSet rows = raw.createStatement().executeQuery("""
                     SELECT s.name, s.byte_count, s.key_count,
                            (SELECT COALESCE(SUM(length(key) + size), 0) FROM kv_entries WHERE store = s.name),
                            (SELECT COUNT(*) FROM kv_entries WHERE store = s.name)
                     FROM kv_stores s""")) {
            while (rows.next()) {
                assertThat(rows.getLong(2)).as("bytes of " + rows.getString(1)).isEqualTo(rows.getLong(4));
                assertThat(rows.getLong(3)).as("keys of " + rows.getString(1)).isEqualTo(rows.getLong(5));
            }
        }
    }

    private int rows(String store) throws Exception {
        try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("state.db"));
             var select = raw.prepareStatement("SELECT COUNT(*) FROM kv_entries WHERE store = ?")) {
            select.setString(1, store);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }
}
