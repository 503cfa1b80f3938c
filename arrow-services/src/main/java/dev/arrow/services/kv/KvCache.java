package dev.arrow.services.kv;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values of keys read lately, so that a read of a hot key costs neither the store nor a
 * thread hand-off. Reads of it take no lock. Correctness rests on one rule: a value read from the
 * store is kept only if no write began or ended since the read started ({@link #stamp}, then
 * {@link #offer}); every write invalidates its key before it goes to the store and again once it
 * is done, so an answer given after a write was acknowledged never comes from before it. Bounded
 * by bytes: past the budget it starts over empty (rare, and cheap). With a store shared by many
 * nodes (JetStream), each node would also invalidate on the store's watch of changes.
 */
final class KvCache {

    private record Key(String store, String key) {
    }

    private final ConcurrentHashMap<Key, KvEntry> entries = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final long maxBytes;
    private final int maxValueBytes;
    private volatile long writes; // changed under lock
    private long bytes; // guarded by lock

    KvCache(long maxBytes, int maxValueBytes) {
        this.maxBytes = maxBytes;
        this.maxValueBytes = maxValueBytes;
    }

    /** The key's value if held and not expired at {@code now}. */
    Optional<KvEntry> get(String store, String key, Instant now) {
        KvEntry entry = entries.get(new Key(store, key));
        if (entry == null || entry.expiresAt().map(at -> !at.isAfter(now)).orElse(false)) {
            return Optional.empty();
        }
        return Optional.of(entry);
    }

    /** Taken before a read of the store, for {@link #offer}. */
    long stamp() {
        return writes;
    }

    /** Keeps what a read found, unless a write began or ended since its {@code stamp}. */
    void offer(String store, KvEntry entry, long stamp) {
        long size = size(entry);
        if (entry.value().length > maxValueBytes || size > maxBytes) {
            return;
        }
        synchronized (lock) {
            if (writes != stamp) {
                return;
            }
            if (bytes + size > maxBytes) {
                entries.clear();
                bytes = 0;
            }
            KvEntry before = entries.put(new Key(store, entry.key()), entry);
            bytes += size - (before == null ? 0 : size(before));
        }
    }

    /** A write of the key begins or ended. */
    void invalidate(String store, String key) {
        synchronized (lock) {
            writes++;
            KvEntry before = entries.remove(new Key(store, key));
            if (before != null) {
                bytes -= size(before);
            }
        }
    }

    /** A write of a whole store (its deletion) begins or ended. */
    void invalidateAll() {
        synchronized (lock) {
            writes++;
            entries.clear();
            bytes = 0;
        }
    }

    private static long size(KvEntry entry) {
        return entry.value().length + 2L * entry.key().length() + 96; // the value, the key, the objects around them
    }
}
