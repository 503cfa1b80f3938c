package dev.arrow.services.kv;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * {@link KvStore}'s contract in memory, the simplest way: what {@link KvService}'s rules are
 * tested against (arrow-state tests its SQLite store on its own). Expired entries are dropped as
 * they are met.
 */
final class MemoryKvStore implements KvStore {

    private record Store(StoreOptions options, Instant createdAt, long revision, TreeMap<String, KvEntry> entries) {
    }

    private final Map<String, Store> stores = new TreeMap<>();
    int sweeps;

    private static long charge(KvEntry entry) {
        return entry.key().getBytes(StandardCharsets.UTF_8).length + entry.value().length;
    }

    private static boolean live(KvEntry entry, Instant now) {
        return entry.expiresAt().isEmpty() || entry.expiresAt().get().isAfter(now);
    }

    private void dropExpired(Store store, Instant now) {
        store.entries().values().removeIf(entry -> !live(entry, now));
    }

    private StoreInfo info(String name, Store store) {
        long bytes = store.entries().values().stream().mapToLong(MemoryKvStore::charge).sum();
        return new StoreInfo(name, store.options(), bytes, store.entries().size(), store.revision(), store.createdAt());
    }

    @Override
    public synchronized Created create(String name, StoreOptions options, Instant now) {
        Store store = stores.get(name);
        if (store != null) {
            dropExpired(store, now);
            return new Created(info(name, store), false);
        }
        store = new Store(options, now, 0, new TreeMap<>());
        stores.put(name, store);
        return new Created(info(name, store), true);
    }

    @Override
    public synchronized Optional<StoreInfo> store(String name, Instant now) {
        Store store = stores.get(name);
        if (store == null) {
            return Optional.empty();
        }
        dropExpired(store, now);
        return Optional.of(info(name, store));
    }

    @Override
    public synchronized List<StoreInfo> stores(Instant now) {
        var infos = new ArrayList<StoreInfo>();
        stores.forEach((name, store) -> {
            dropExpired(store, now);
            infos.add(info(name, store));
        });
        return infos;
    }

    @Override
    public synchronized boolean deleteStore(String name) {
        return stores.remove(name) != null;
    }

    @Override
    public synchronized Optional<KvEntry> get(String name, String key, Instant now) {
        Store store = stores.get(name);
        if (store == null) {
            return Optional.empty();
        }
        dropExpired(store, now);
        return Optional.ofNullable(store.entries().get(key));
    }

    @Override
    public synchronized PutResult put(String name, String key, byte[] value, Condition condition,
            Optional<Instant> expiresAt, StoreOptions ifNew, Instant now) {
        Store store = stores.get(name);
        boolean creating = store == null;
        if (creating) {
            store = new Store(ifNew, now, 0, new TreeMap<>());
        }
        dropExpired(store, now);
        KvEntry old = store.entries().get(key);
        long current = old == null ? 0 : old.revision();
        if (!condition.holdsFor(current)) {
            return new PutResult.ConditionFailed(old == null ? OptionalLong.empty() : OptionalLong.of(current));
        }
        StoreInfo info = info(name, store);
        if (old == null && info.keys() + 1 > store.options().maxKeys()) {
            return new PutResult.TooManyKeys(info);
        }
        var entry = new KvEntry(key, value.clone(), store.revision() + 1, now, expiresAt);
        long needed = charge(entry) - (old == null ? 0 : charge(old));
        if (info.bytes() + needed > store.options().maxBytes()) {
            return new PutResult.StoreFull(info, needed);
        }
        TreeMap<String, KvEntry> entries = store.entries();
        entries.put(key, entry);
        stores.put(name, new Store(store.options(), store.createdAt(), entry.revision(), entries));
        return new PutResult.Written(entry.revision(), now, expiresAt, creating);
    }

    @Override
    public synchronized DeleteResult delete(String name, String key, Condition condition, Instant now) {
        Store store = stores.get(name);
        if (store == null) {
            return new DeleteResult.NoStore();
        }
        dropExpired(store, now);
        KvEntry old = store.entries().get(key);
        long current = old == null ? 0 : old.revision();
        if (condition instanceof Condition.Absent || !condition.holdsFor(current)) {
            return new DeleteResult.ConditionFailed(old == null ? OptionalLong.empty() : OptionalLong.of(current));
        }
        if (old == null) {
            return new DeleteResult.NoKey();
        }
        store.entries().remove(key);
        stores.put(name, new Store(store.options(), store.createdAt(), store.revision() + 1, store.entries()));
        return new DeleteResult.Deleted(store.revision() + 1);
    }

    @Override
    public synchronized Optional<KvPage> list(String name, String prefix, Optional<String> after, int limit,
            Instant now) {
        Store store = stores.get(name);
        if (store == null) {
            return Optional.empty();
        }
        dropExpired(store, now);
        // Byte order of UTF-8, which is not String's order for characters above U+FFFF.
        List<KvEntry> sorted = store.entries().values().stream()
                .filter(entry -> entry.key().startsWith(prefix))
                .filter(entry -> after.isEmpty() || compare(entry.key(), after.get()) > 0)
                .sorted((a, b) -> compare(a.key(), b.key()))
                .toList();
        List<KeyInfo> page = sorted.stream().limit(limit).map(KvEntry::info).toList();
        return Optional.of(new KvPage(page, sorted.size() > limit ? Optional.of(page.getLast().key()) : Optional.empty()));
    }

    private static int compare(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public synchronized int sweep(Instant now, int max) {
        sweeps++;
        int before = stores.values().stream().mapToInt(store -> store.entries().size()).sum();
        stores.values().forEach(store -> dropExpired(store, now));
        return before - stores.values().stream().mapToInt(store -> store.entries().size()).sum();
    }
}
