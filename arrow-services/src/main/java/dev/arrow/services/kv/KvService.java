package dev.arrow.services.kv;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.services.KeyText;
import dev.arrow.services.PreconditionFailedException;
import dev.arrow.services.StoreExistsException;
import dev.arrow.services.StoreFullException;
import dev.arrow.services.TooManyKeysException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Key-value stores with the rules every implementation shares: what names, keys, values and TTLs
 * may be, the caps' defaults and bounds, expiry by the clock, cursors, and the errors a caller
 * gets. The store ({@link KvStore}) keeps the data and checks conditions and caps atomically.
 *
 * <ul>
 *   <li>store names: as arrow names, 1 to 63 of {@code a-z 0-9 -}, not starting or ending with '-';
 *   <li>keys: 1 to {@value #MAX_KEY_BYTES} bytes of UTF-8 without control characters (U+0000 to
 *       U+001F, U+007F);
 *   <li>values: 0 to {@value #MAX_VALUE_BYTES} bytes, anything;
 *   <li>TTL: 1 s to 365 days; an entry is absent from its expiry on, wherever it is asked for.
 * </ul>
 */
public final class KvService {

    public static final int MAX_KEY_BYTES = 1024;
    public static final int MAX_VALUE_BYTES = 1 << 20;
    public static final Duration MIN_TTL = Duration.ofSeconds(1);
    public static final Duration MAX_TTL = Duration.ofDays(365);
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    /** How often, at most, a write sweeps out expired entries, and how many one sweep takes. */
    static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
    static final int SWEEP_MAX = 1000;

    /** The cache's budget, and the largest value it keeps: hot small values, not bulk data. */
    static final long CACHE_BYTES = 32L << 20;
    static final int CACHE_VALUE_BYTES = 64 << 10;

    private final KvStore store;
    private final Clock clock;
    private final KvCache cache = new KvCache(CACHE_BYTES, CACHE_VALUE_BYTES);
    private volatile Instant nextSweep = Instant.MIN;

    public KvService(KvStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Every store, by name. */
    public List<StoreInfo> stores() {
        return store.stores(clock.instant());
    }

    public StoreInfo info(String name) {
        requireStoreName(name);
        return store.store(name, clock.instant()).orElseThrow(() -> noStore(name));
    }

    /**
     * Makes a store with {@code options}; answers an existing one with the same options as it is
     * ({@code created} false), so that a create can be retried.
     *
     * @throws StoreExistsException the store exists with other options
     */
    public KvStore.Created create(String name, StoreOptions options) {
        requireStoreName(name);
        Objects.requireNonNull(options, "options");
        KvStore.Created result = store.create(name, options, clock.instant());
        if (!result.created() && !result.store().options().equals(options)) {
            StoreOptions has = result.store().options();
            throw new StoreExistsException(name, "the kv store '" + name + "' exists with maxBytes " + has.maxBytes()
                    + " and maxKeys " + has.maxKeys() + ": delete it first to make it with other options");
        }
        return result;
    }

    public void deleteStore(String name) {
        requireStoreName(name);
        cache.invalidateAll();
        try {
            if (!store.deleteStore(name)) {
                throw noStore(name);
            }
        } finally {
            cache.invalidateAll();
        }
    }

    /**
     * The key's value if the cache holds it now; empty says nothing about the key, only that
     * {@link #get} must ask the store. Never blocks: a server may answer with it on its event loop.
     */
    public Optional<KvEntry> cached(String name, String key) {
        if (!ArrowName.isValid(name) || key == null || key.isEmpty()) {
            return Optional.empty();
        }
        return cache.get(name, key, clock.instant());
    }

    public KvEntry get(String name, String key) {
        requireStoreName(name);
        requireKey(key);
        Instant now = clock.instant();
        Optional<KvEntry> cached = cache.get(name, key, now);
        if (cached.isPresent()) {
            return cached.get();
        }
        long stamp = cache.stamp();
        Optional<KvEntry> read = store.get(name, key, now);
        read.ifPresent(entry -> cache.offer(name, entry, stamp));
        return read.orElseThrow(() -> {
            if (store.store(name, now).isEmpty()) {
                return noStore(name);
            }
            return noKey(name, key);
        });
    }

    /**
     * Writes the key's value if {@code condition} holds, making the store with the default options
     * on its first write.
     *
     * @param ttl how long the value lives, or empty for as long as it is not overwritten or deleted
     * @return what was written: its revision and expiry
     * @throws PreconditionFailedException the condition does not hold
     * @throws StoreFullException          the store would pass its maxBytes
     * @throws TooManyKeysException        a new key in a store at its maxKeys
     */
    public KvStore.PutResult.Written put(String name, String key, byte[] value, Condition condition,
            Optional<Duration> ttl) {
        requireStoreName(name);
        requireKey(key);
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(condition, "condition");
        if (value.length > MAX_VALUE_BYTES) {
            throw new InvalidInputException("value", "a value is at most 1 MiB (" + MAX_VALUE_BYTES + " bytes), not "
                    + value.length + " bytes");
        }
        ttl.ifPresent(KvService::requireTtl);
        Instant now = clock.instant();
        sweepNow(now);
        KvStore.PutResult result;
        cache.invalidate(name, key);
        try {
            result = store.put(name, key, value, condition, ttl.map(now::plus), StoreOptions.DEFAULT, now);
        } finally {
            cache.invalidate(name, key);
        }
        return switch (result) {
            case KvStore.PutResult.Written written -> written;
            case KvStore.PutResult.ConditionFailed failed -> throw conditionFailed(name, key, condition, failed.current());
            case KvStore.PutResult.StoreFull full -> throw new StoreFullException("the kv store '" + name + "' is full: "
                    + full.store().bytes() + " of its " + full.store().options().maxBytes() + " bytes are used, and this"
                    + " write needs " + full.needed() + " more", full.store().options().maxBytes());
            case KvStore.PutResult.TooManyKeys many -> throw new TooManyKeysException("the kv store '" + name + "' holds"
                    + " its maximum of " + many.store().options().maxKeys() + " keys: delete keys before adding new ones",
                    many.store().options().maxKeys());
        };
    }

    /**
     * Deletes the key if {@code condition} ({@link Condition.Any} or {@link Condition.AtRevision})
     * holds.
     */
    public void delete(String name, String key, Condition condition) {
        requireStoreName(name);
        requireKey(key);
        if (condition instanceof Condition.Absent) {
            throw new InvalidInputException("condition", "a delete cannot require the key to be absent");
        }
        Instant now = clock.instant();
        sweepNow(now);
        KvStore.DeleteResult result;
        cache.invalidate(name, key);
        try {
            result = store.delete(name, key, condition, now);
        } finally {
            cache.invalidate(name, key);
        }
        switch (result) {
            case KvStore.DeleteResult.Deleted _ -> { }
            case KvStore.DeleteResult.NoStore _ -> throw noStore(name);
            case KvStore.DeleteResult.NoKey _ -> throw noKey(name, key);
            case KvStore.DeleteResult.ConditionFailed failed -> throw conditionFailed(name, key, condition, failed.current());
        }
    }

    /**
     * A page of the live keys that start with {@code prefix} (empty: all), in byte order of their
     * UTF-8.
     *
     * @param cursor the {@code next} of the page before, or empty for the first page
     * @param limit  1 to {@value #MAX_LIMIT} keys
     */
    public KvPage list(String name, String prefix, Optional<String> cursor, int limit) {
        requireStoreName(name);
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.isEmpty()) {
            checkKey(prefix, "prefix");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidInputException("limit", "limit must be between 1 and " + MAX_LIMIT + ", not " + limit);
        }
        Optional<String> after = cursor.map(KvService::decodeCursor);
        KvPage page = store.list(name, prefix, after, limit, clock.instant()).orElseThrow(() -> noStore(name));
        return new KvPage(page.keys(), page.next().map(KvService::encodeCursor));
    }

    /** At most every {@link #SWEEP_EVERY}, on a write: some expired entries go, so that they do not pile up. */
    private void sweepNow(Instant now) {
        if (now.isBefore(nextSweep)) {
            return;
        }
        nextSweep = now.plus(SWEEP_EVERY); // two at once may both sweep: no harm
        store.sweep(now, SWEEP_MAX);
    }

    /** Checks a store name, naming {@code store} as the field. */
    public static String requireStoreName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("store", "a store name is required");
        }
        if (!ArrowName.isValid(name)) {
            throw new InvalidInputException("store", "'" + shorten(name) + "' is not a valid store name: use 1 to 63"
                    + " lowercase letters, digits and '-', starting and ending with a letter or digit");
        }
        return name;
    }

    /** Checks a key, naming {@code key} as the field. */
    public static String requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidInputException("key", "a key is required");
        }
        checkKey(key, "key");
        return key;
    }

    /** A TTL in range, naming {@code ttl} as the field. */
    public static Duration requireTtl(Duration ttl) {
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidInputException("ttl", "ttl must be between 1s and 365 days, not " + describe(ttl));
        }
        return ttl;
    }

    private static void checkKey(String key, String field) {
        KeyText.check(key, field, MAX_KEY_BYTES);
    }

    /** A cursor is the page's last key, base64url: opaque to callers, and safe in a query string. */
    static String encodeCursor(String lastKey) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastKey.getBytes(StandardCharsets.UTF_8));
    }

    static String decodeCursor(String cursor) {
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(cursor);
            String key = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            checkKey(key, "cursor");
            if (key.isEmpty()) {
                throw new IllegalArgumentException("empty");
            }
            return key;
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw new InvalidInputException("cursor", "'" + shorten(cursor) + "' is not a cursor this node gave:"
                    + " pass the 'next' of the page before as it is");
        }
    }

    private static PreconditionFailedException conditionFailed(String name, String key, Condition condition,
            OptionalLong current) {
        String where = "'" + shorten(key) + "' in the kv store '" + name + "'";
        String message = switch (condition) {
            case Condition.Absent _ -> "the key " + where + " exists already (revision " + current.orElse(0) + ")";
            case Condition.AtRevision at -> current.isPresent()
                    ? "the key " + where + " is at revision " + current.getAsLong() + ", not " + at.revision()
                    : "the key " + where + " does not exist (the write expected revision " + at.revision() + ")";
            case Condition.Any _ -> "the write's condition on " + where + " does not hold";
        };
        return new PreconditionFailedException(message, current);
    }

    private static NotFoundException noStore(String name) {
        return new NotFoundException("kv store", name);
    }

    private static NotFoundException noKey(String name, String key) {
        return new NotFoundException("key", name + "/" + shorten(key));
    }

    private static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }

    private static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
