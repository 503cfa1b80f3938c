package dev.arrow.services.kv;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where key-value stores are kept: the port an implementation (the node's SQLite database, later
 * NATS JetStream KV buckets) fills. Each method is atomic, and a write is durable when it returns.
 *
 * <p>Revisions: each store numbers its writes (puts and deletes) 1, 2, 3, ... in one sequence
 * kept with the store, and a key's revision is the number of the put that wrote its value, as a
 * NATS KV bucket's stream sequence. A store made again after its deletion starts again from 1.
 *
 * <p>Time: the caller passes {@code now}; an entry whose expiry is at or before it is absent from
 * every answer, whether or not it has been removed yet. The implementation never reads a clock.
 * Names, keys and sizes come checked ({@link KvService}); caps are checked here, in the write's
 * transaction.
 */
public interface KvStore {

    /** What a put did. */
    sealed interface PutResult {
        /** Written as {@code revision}; {@code storeCreated} when the put made the store. */
        record Written(long revision, Instant modifiedAt, Optional<Instant> expiresAt, boolean storeCreated)
                implements PutResult {
        }

        /** The condition did not hold; nothing changed. {@code current}: the key's revision, empty if absent. */
        record ConditionFailed(OptionalLong current) implements PutResult {
        }

        /** The store would pass its {@code maxBytes}; nothing changed. */
        record StoreFull(StoreInfo store, long needed) implements PutResult {
        }

        /** The store holds its {@code maxKeys} already and this is a new key; nothing changed. */
        record TooManyKeys(StoreInfo store) implements PutResult {
        }
    }

    /** What a delete did. */
    sealed interface DeleteResult {
        /** The key is gone; the delete took {@code revision} of the store's sequence. */
        record Deleted(long revision) implements DeleteResult {
        }

        record NoStore() implements DeleteResult {
        }

        /** No such key (or it had expired). */
        record NoKey() implements DeleteResult {
        }

        /** The condition did not hold; nothing changed. */
        record ConditionFailed(OptionalLong current) implements DeleteResult {
        }
    }

    /** What a create did: made the store, or found one of that name (with its own options). */
    record Created(StoreInfo store, boolean created) {
    }

    /** The store, made with {@code options} if there is none of that name. */
    Created create(String store, StoreOptions options, Instant now);

    /** A store with its live bytes and keys; empty when there is none. */
    Optional<StoreInfo> store(String store, Instant now);

    /** All stores, by name. */
    List<StoreInfo> stores(Instant now);

    /** Deletes a store with all its keys; false when there was none. */
    boolean deleteStore(String store);

    /** A live entry; empty when the key or the store is absent. */
    Optional<KvEntry> get(String store, String key, Instant now);

    /**
     * Writes {@code value} as the key's next revision if {@code condition} holds and the store's
     * caps allow it, making the store with {@code ifNew} when there is none (only if the write goes
     * through). {@code expiresAt} empty: the value stays until it is overwritten or deleted.
     */
    PutResult put(String store, String key, byte[] value, Condition condition, Optional<Instant> expiresAt,
            StoreOptions ifNew, Instant now);

    /** Deletes the key if {@code condition} holds ({@link Condition.Absent} never does). */
    DeleteResult delete(String store, String key, Condition condition, Instant now);

    /**
     * Live keys starting with {@code prefix}, after {@code after} when given, in byte order of their
     * UTF-8, at most {@code limit} of them; empty when there is no such store.
     *
     * @return the keys and, when more follow, the last key of the page as {@code next}, as it is
     */
    Optional<KvPage> list(String store, String prefix, Optional<String> after, int limit, Instant now);

    /** Removes up to {@code max} expired entries, all stores together; returns how many it removed. */
    int sweep(Instant now, int max);
}
