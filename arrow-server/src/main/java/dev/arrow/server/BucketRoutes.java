package dev.arrow.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.services.objects.ByteRange;
import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.objects.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;

/**
 * The object store's routes under {@code /v1/buckets} (docs/api.md, "Buckets"): the same buckets
 * the S3 listener serves, for users and arrows with the node's token. An object's key is the rest
 * of the path, read as sent and percent-decoded; bodies stream both ways.
 */
final class BucketRoutes {

    static final String OBJECTS = "/v1/buckets/{bucket}/objects";
    static final String OBJECT = OBJECTS + "/{key...}";
    static final int DEFAULT_LIMIT = 1000;
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final String OCTETS = "application/octet-stream";

    private final ObjectService objects;

    BucketRoutes(ObjectService objects) {
        this.objects = objects;
    }

    Router addTo(Router router) {
        return router
                .add("GET", "/v1/buckets", this::listBuckets)
                .add("PUT", "/v1/buckets/{bucket}", this::createBucket)
                .add("DELETE", "/v1/buckets/{bucket}", ex -> {
                    objects.deleteBucket(ex.param("bucket"));
                    ex.empty(204);
                })
                .add("GET", OBJECTS, this::listObjects)
                .add("PUT", OBJECT, this::put)
                .add("GET", OBJECT, ex -> get(ex, false))
                .add("HEAD", OBJECT, ex -> get(ex, true))
                .add("DELETE", OBJECT, this::delete);
    }

    private void listBuckets(Exchange ex) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode buckets = out.putArray("buckets");
        objects.buckets().forEach(info -> buckets.add(bucketJson(info)));
        ex.json(200, out);
    }

    private void createBucket(Exchange ex) {
        String bucket = ObjectService.requireBucketName(ex.param("bucket"));
        boolean created = objects.createBucket(bucket);
        ex.setHeader("Location", "/v1/buckets/" + bucket);
        ex.json(created ? 201 : 200, bucketJson(objects.bucket(bucket)));
    }

    private void listObjects(Exchange ex) {
        String bucket = ObjectService.requireBucketName(ex.param("bucket"));
        String prefix = ex.query("prefix").orElse("");
        int limit = ex.query("limit").map(BucketRoutes::limit).orElse(DEFAULT_LIMIT);
        Optional<String> after = ex.query("cursor").filter(value -> !value.isEmpty())
                .map(cursor -> ObjectService.decodeCursor(cursor, "cursor"));
        ObjectService.Listing listing = objects.list(bucket, prefix, "", after, limit);
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("objects");
        for (ObjectStore.ObjectInfo info : listing.objects()) {
            ObjectNode object = list.addObject();
            object.put("key", info.key());
            object.put("size", info.size());
            object.put("etag", info.etag());
            object.put("lastModified", info.lastModified().toString());
            object.put("contentType", info.contentType());
        }
        listing.next().ifPresent(next -> out.put("nextCursor", ObjectService.encodeCursor(next)));
        ex.json(200, out);
    }

    private static int limit(String value) {
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= ObjectService.MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw ApiError.invalid("limit", "limit must be a whole number from 1 to " + ObjectService.MAX_LIMIT + ", not '"
                + value + "'");
    }

    /** Makes the bucket on its first write, as KV makes a store. */
    private void put(Exchange ex) throws IOException {
        // Everything but the body is checked before the body is read.
        String bucket = ObjectService.requireBucketName(ex.param("bucket"));
        String key = ObjectService.requireKey(KvRoutes.key(ex));
        String type = ex.header("Content-Type").map(String::strip).filter(t -> !t.isEmpty()).orElse(OCTETS);
        var attributes = new ObjectStore.Attributes(type, Map.of());
        ObjectStore.ObjectInfo info;
        // Not the node's body deadline: an object of GiBs may take minutes; a stalled client
        // still meets the connection's idle timeout.
        try (InputStream body = Request.asInputStream(ex.request())) {
            info = objects.put(bucket, key, body, attributes, true);
        }
        ex.setHeader("ETag", "\"" + info.etag() + "\"");
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("bucket", bucket);
        out.put("key", key);
        out.put("size", info.size());
        out.put("etag", info.etag());
        ex.json(200, out);
    }

    private void get(Exchange ex, boolean headOnly) throws IOException {
        String bucket = ObjectService.requireBucketName(ex.param("bucket"));
        String key = ObjectService.requireKey(KvRoutes.key(ex));
        Optional<ByteRange> range = ex.header("Range").flatMap(ByteRange::parse);
        if (headOnly) {
            ObjectStore.ObjectInfo info = objects.head(bucket, key);
            describe(ex, info);
            long length = info.size();
            int status = 200;
            if (range.isPresent()) {
                ByteRange.Resolved resolved = range.get().resolve(info.size());
                ex.setHeader("Content-Range", resolved.contentRange());
                length = resolved.length();
                status = 206;
            }
            ex.markResponded();
            ex.response().setStatus(status);
            ex.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
            ex.response().write(true, null, Callback.from(ex::succeed, ex::fail));
            return;
        }
        try (ObjectService.Content content = objects.get(bucket, key, range)) {
            describe(ex, content.info());
            content.range().ifPresent(r -> ex.setHeader("Content-Range", r.contentRange()));
            ex.markResponded();
            ex.response().setStatus(content.range().isPresent() ? 206 : 200);
            ex.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length());
            try (OutputStream out = Content.Sink.asOutputStream(ex.response())) {
                content.body().transferTo(out);
            } catch (IOException e) {
                ex.fail(e); // the answer began: the connection ends it
                return;
            }
            ex.succeed();
        }
    }

    private static void describe(Exchange ex, ObjectStore.ObjectInfo info) {
        ex.setHeader("Content-Type", info.contentType());
        ex.setHeader("ETag", "\"" + info.etag() + "\"");
        ex.setHeader("Last-Modified", HTTP_DATE.format(info.lastModified()));
        ex.setHeader("Accept-Ranges", "bytes");
    }

    private void delete(Exchange ex) {
        String bucket = ObjectService.requireBucketName(ex.param("bucket"));
        objects.delete(bucket, ObjectService.requireKey(KvRoutes.key(ex)));
        ex.empty(204);
    }

    static ObjectNode bucketJson(ObjectStore.BucketInfo info) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("name", info.name());
        out.put("createdAt", info.createdAt().toString());
        out.put("objects", info.objects());
        out.put("bytes", info.bytes());
        return out;
    }
}
