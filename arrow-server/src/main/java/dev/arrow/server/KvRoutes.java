package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.sandbox.Units;
import dev.arrow.services.kv.Condition;
import dev.arrow.services.kv.KeyInfo;
import dev.arrow.services.kv.KvEntry;
import dev.arrow.services.kv.KvPage;
import dev.arrow.services.kv.KvService;
import dev.arrow.services.kv.KvStore;
import dev.arrow.services.kv.StoreInfo;
import dev.arrow.services.kv.StoreOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The key-value routes under {@code /v1/kv} (docs/api.md, "Key-value"): stores, and keys as
 * raw bodies with their revision as the {@code ETag}. A key is the rest of the path, so that
 * keys with '/' travel as they are; it is read from the path as sent and percent-decoded here.
 */
final class KvRoutes {

    static final String KEYS = "/v1/kv/{store}/keys";
    static final String KEY = KEYS + "/{key...}";
    private static final Set<String> OPTIONS = Set.of("maxBytes", "maxKeys");
    private static final String IF_MATCH = "If-Match";
    private static final String IF_NONE_MATCH = "If-None-Match";

    private final KvService kv;

    KvRoutes(KvService kv) {
        this.kv = kv;
    }

    Router addTo(Router router) {
        return router
                .add("GET", "/v1/kv", this::listStores)
                .add("PUT", "/v1/kv/{store}", this::createStore)
                .add("GET", "/v1/kv/{store}", ex -> ex.json(200, storeJson(kv.info(ex.param("store")))))
                .add("DELETE", "/v1/kv/{store}", ex -> {
                    kv.deleteStore(ex.param("store"));
                    ex.empty(204);
                })
                .add("GET", KEYS, this::listKeys)
                .add("GET", KEY, this::getCached, this::get)
                .add("PUT", KEY, this::put)
                .add("DELETE", KEY, this::delete);
    }

    private void listStores(Exchange ex) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode stores = out.putArray("stores");
        kv.stores().forEach(info -> stores.add(storeJson(info)));
        ex.json(200, out);
    }

    /** 201 when made, 200 when it exists with the same options (a retry), 409 with others. */
    private void createStore(Exchange ex) throws IOException {
        String name = KvService.requireStoreName(ex.param("store"));
        JsonNode body = ex.json(true);
        for (var fields = body.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!OPTIONS.contains(field)) {
                throw ApiError.invalid(field, "unknown field '" + field + "' (known: maxBytes, maxKeys)");
            }
        }
        StoreOptions defaults = StoreOptions.DEFAULT;
        long maxBytes = present(body, "maxBytes") ? SpecJson.size(body.get("maxBytes"), "maxBytes") : defaults.maxBytes();
        long maxKeys = defaults.maxKeys();
        if (present(body, "maxKeys")) {
            JsonNode node = body.get("maxKeys");
            if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                throw ApiError.invalid("maxKeys", "maxKeys must be a whole number, not " + node);
            }
            maxKeys = node.longValue();
        }
        KvStore.Created created = kv.create(name, new StoreOptions(maxBytes, maxKeys));
        ex.setHeader("Location", "/v1/kv/" + name);
        ex.json(created.created() ? 201 : 200, storeJson(created.store()));
    }

    private static boolean present(JsonNode body, String field) {
        return body.has(field) && !body.get(field).isNull();
    }

    private void listKeys(Exchange ex) {
        String name = ex.param("store");
        String prefix = ex.query("prefix").orElse("");
        int limit = ex.query("limit").map(KvRoutes::limit).orElse(KvService.DEFAULT_LIMIT);
        Optional<String> cursor = ex.query("cursor").filter(value -> !value.isEmpty());
        KvPage page = kv.list(name, prefix, cursor, limit);
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode keys = out.putArray("keys");
        for (KeyInfo info : page.keys()) {
            ObjectNode key = keys.addObject();
            key.put("key", info.key());
            key.put("revision", info.revision());
            key.put("size", info.size());
            key.put("modifiedAt", info.modifiedAt().toString());
            info.expiresAt().ifPresent(at -> key.put("expiresAt", at.toString()));
        }
        if (page.next().isPresent()) {
            out.put("next", page.next().get());
        } else {
            out.putNull("next");
        }
        ex.json(200, out);
    }

    private static int limit(String value) {
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= KvService.MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw ApiError.invalid("limit", "limit must be a whole number from 1 to " + KvService.MAX_LIMIT + ", not '"
                + value + "'");
    }

    /** A hot key's value, from the service's cache, without a thread hand-off. */
    private boolean getCached(Exchange ex) {
        Optional<KvEntry> entry = kv.cached(ex.param("store"), key(ex));
        entry.ifPresent(found -> answer(ex, found));
        return entry.isPresent();
    }

    private void get(Exchange ex) {
        String name = KvService.requireStoreName(ex.param("store"));
        answer(ex, kv.get(name, key(ex)));
    }

    private static void answer(Exchange ex, KvEntry entry) {
        String etag = etag(entry.revision());
        ex.setHeader("ETag", etag);
        entry.expiresAt().ifPresent(at -> ex.setHeader("X-Arrow-Expires-At", at.toString()));
        // A cache's revalidation: the value has not changed since the revision it holds.
        List<String> cached = ex.headers(IF_NONE_MATCH);
        if (!cached.isEmpty() && matchesAny(cached, etag)) {
            ex.empty(304);
            return;
        }
        ex.bytes(200, "application/octet-stream", entry.value());
    }

    private void put(Exchange ex) throws IOException {
        // Everything but the body is checked before the body is read.
        String name = KvService.requireStoreName(ex.param("store"));
        String key = KvService.requireKey(key(ex));
        Condition condition = condition(ex, true);
        Optional<Duration> ttl = ex.query("ttl").map(KvRoutes::ttl).map(KvService::requireTtl);
        byte[] value;
        try {
            value = ex.body(KvService.MAX_VALUE_BYTES);
        } catch (ApiError e) {
            if (e.status() == 413) {
                throw new ApiError(413, "payload_too_large", "a value is at most 1 MiB (" + KvService.MAX_VALUE_BYTES
                        + " bytes)", Optional.of("value"));
            }
            throw e;
        }
        KvStore.PutResult.Written written = kv.put(name, key, value, condition, ttl);
        ex.setHeader("ETag", etag(written.revision()));
        written.expiresAt().ifPresent(at -> ex.setHeader("X-Arrow-Expires-At", at.toString()));
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("store", name);
        out.put("key", key);
        out.put("revision", written.revision());
        written.expiresAt().ifPresent(at -> out.put("expiresAt", at.toString()));
        ex.json(201, out);
    }

    private void delete(Exchange ex) {
        String name = KvService.requireStoreName(ex.param("store"));
        String key = KvService.requireKey(key(ex));
        kv.delete(name, key, condition(ex, false));
        ex.empty(204);
    }

    /** {@code If-Match: "7"} (the key at revision 7), {@code If-None-Match: *} (a create, puts only), or neither. */
    private static Condition condition(Exchange ex, boolean put) {
        List<String> match = ex.headers(IF_MATCH);
        List<String> noneMatch = ex.headers(IF_NONE_MATCH);
        if (!noneMatch.isEmpty()) {
            if (!put) {
                throw ApiError.invalid(IF_NONE_MATCH, "a delete takes If-Match, not If-None-Match");
            }
            if (!match.isEmpty()) {
                throw ApiError.invalid(IF_NONE_MATCH, "send If-Match or If-None-Match, not both");
            }
            if (noneMatch.size() != 1 || !noneMatch.getFirst().strip().equals("*")) {
                throw ApiError.invalid(IF_NONE_MATCH, "If-None-Match takes only * (create the key only if it is absent)");
            }
            return Condition.ABSENT;
        }
        if (match.isEmpty()) {
            return Condition.ANY;
        }
        if (match.size() != 1) {
            throw ApiError.invalid(IF_MATCH, "send one If-Match, not " + match.size());
        }
        return new Condition.AtRevision(revision(match.getFirst().strip()));
    }

    /** One entity tag as this API gives them, {@code "7"}; a bare 7 too. */
    private static long revision(String tag) {
        String digits = tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"") ? tag.substring(1, tag.length() - 1)
                : tag;
        if (!digits.isEmpty() && digits.length() <= 18 && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            long revision = Long.parseLong(digits);
            if (revision >= 1) {
                return revision;
            }
        }
        throw ApiError.invalid(IF_MATCH, "If-Match takes one revision as the ETag gives it, e.g. \"7\", not '"
                + shorten(tag) + "'");
    }

    private static boolean matchesAny(List<String> values, String etag) {
        for (String value : values) {
            for (String tag : value.split(",")) {
                String candidate = tag.strip();
                if (candidate.startsWith("W/")) {
                    candidate = candidate.substring(2); // If-None-Match compares weakly
                }
                if (candidate.equals("*") || candidate.equals(etag)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Duration ttl(String value) {
        try {
            return Units.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("ttl", "ttl: " + e.getMessage());
        }
    }

    static String etag(long revision) {
        return "\"" + revision + "\"";
    }

    /**
     * The key as the client sent it: the path after {@code /v1/kv/{store}/keys/} before any
     * normalization ({@code a/../b} stays that key), percent-decoded as strict UTF-8.
     */
    static String key(Exchange ex) {
        String raw = ex.rawPath();
        int at = 0;
        for (int slashes = 0; slashes < 5; slashes++) {
            at = raw.indexOf('/', at) + 1;
            if (at == 0) {
                return ex.param("key"); // cannot happen for a path the route matched
            }
        }
        return percentDecoded(raw.substring(at));
    }

    static String percentDecoded(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        var bytes = new ByteArrayOutputStream(raw.length());
        int i = 0;
        while (i < raw.length()) {
            int percent = raw.indexOf('%', i);
            int end = percent < 0 ? raw.length() : percent;
            bytes.writeBytes(raw.substring(i, end).getBytes(StandardCharsets.UTF_8));
            if (percent < 0) {
                break;
            }
            if (percent + 2 >= raw.length() || Character.digit(raw.charAt(percent + 1), 16) < 0
                    || Character.digit(raw.charAt(percent + 2), 16) < 0) {
                throw new InvalidInputException("key", "the key's path has a '%' that is not followed by two hex digits");
            }
            bytes.write(HexFormat.fromHexDigits(raw, percent + 1, percent + 3));
            i = percent + 3;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("key", "the key is not valid UTF-8 once percent-decoded");
        }
    }

    static ObjectNode storeJson(StoreInfo info) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("name", info.name());
        out.put("maxBytes", info.options().maxBytes());
        out.put("maxKeys", info.options().maxKeys());
        out.put("bytes", info.bytes());
        out.put("keys", info.keys());
        out.put("revision", info.revision());
        out.put("createdAt", info.createdAt().toString());
        return out;
    }

    private static String shorten(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
