package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.services.objects.AccessKeyStore.AccessKey;
import dev.arrow.services.objects.AccessKeys;
import java.io.IOException;
import java.util.Optional;

/**
 * The access key routes under {@code /v1/keys} (docs/api.md, "Access keys"): keys for the S3
 * listener being built. A key's secret is in the answer to its creation only; lists never show it.
 */
final class KeyRoutes {

    private final AccessKeys keys;

    KeyRoutes(AccessKeys keys) {
        this.keys = keys;
    }

    Router addTo(Router router) {
        return router
                .add("POST", "/v1/keys", this::create)
                .add("GET", "/v1/keys", this::list)
                .add("DELETE", "/v1/keys/{id}", ex -> {
                    keys.delete(ex.param("id"));
                    ex.empty(204);
                });
    }

    /** 201 with the secret, the only time it is shown. */
    private void create(Exchange ex) throws IOException {
        JsonNode body = ex.json(true);
        for (var fields = body.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!field.equals("name")) {
                throw ApiError.invalid(field, "unknown field '" + field + "' (known: name)");
            }
        }
        Optional<String> name = Optional.empty();
        JsonNode node = body.get("name");
        if (node != null && !node.isNull()) {
            if (!node.isTextual()) {
                throw ApiError.invalid("name", "name must be a string, not " + node);
            }
            name = Optional.of(node.textValue());
        }
        AccessKeys.Created created = keys.create(name);
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("accessKeyId", created.key().id());
        out.put("secretAccessKey", created.secret());
        putInfo(out, created.key());
        ex.setHeader("Location", "/v1/keys/" + created.key().id());
        ex.json(201, out);
    }

    private void list(Exchange ex) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("keys");
        for (AccessKey key : keys.list()) {
            ObjectNode item = list.addObject();
            item.put("accessKeyId", key.id());
            putInfo(item, key);
        }
        ex.json(200, out);
    }

    private static void putInfo(ObjectNode out, AccessKey key) {
        if (key.name().isPresent()) {
            out.put("name", key.name().get());
        } else {
            out.putNull("name");
        }
        out.put("createdAt", key.createdAt().toString());
    }
}
