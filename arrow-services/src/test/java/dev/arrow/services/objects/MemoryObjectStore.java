package dev.arrow.services.objects;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/** An {@link ObjectStore} in memory, for the service's tests; keys ordered by their UTF-8 bytes. */
final class MemoryObjectStore implements ObjectStore {

    private static final Comparator<String> UTF8 = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private record Stored(ObjectInfo info, byte[] body) {
    }

    private record PartBody(Part part, byte[] body) {
    }

    private final Map<String, Instant> buckets = new TreeMap<>();
    private final Map<String, TreeMap<String, Stored>> objects = new HashMap<>();
    private final Map<String, Upload> uploads = new HashMap<>();
    private final Map<String, TreeMap<Integer, PartBody>> parts = new HashMap<>();

    @Override
    public synchronized boolean createBucket(String bucket, Instant now) {
        if (buckets.containsKey(bucket)) {
            return false;
        }
        buckets.put(bucket, now);
        objects.put(bucket, new TreeMap<>(UTF8));
        return true;
    }

    @Override
    public synchronized Optional<BucketInfo> bucket(String bucket) {
        Instant created = buckets.get(bucket);
        if (created == null) {
            return Optional.empty();
        }
        var held = objects.get(bucket);
        return Optional.of(new BucketInfo(bucket, created, held.size(),
                held.values().stream().mapToLong(s -> s.info().size()).sum()));
    }

    @Override
    public synchronized List<BucketInfo> buckets() {
        return buckets.keySet().stream().map(name -> bucket(name).orElseThrow()).toList();
    }

    @Override
    public synchronized BucketDeleted deleteBucket(String bucket) {
        if (!buckets.containsKey(bucket)) {
            return BucketDeleted.NO_BUCKET;
        }
        if (!objects.get(bucket).isEmpty()) {
            return BucketDeleted.NOT_EMPTY;
        }
        buckets.remove(bucket);
        objects.remove(bucket);
        uploads.values().removeIf(upload -> upload.bucket().equals(bucket));
        return BucketDeleted.DELETED;
    }

    private static String md5(byte[] body) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    @Override
    public Optional<ObjectInfo> put(String bucket, String key, InputStream body, Attributes attributes,
            boolean createBucket, Instant now) throws IOException {
        synchronized (this) {
            if (!buckets.containsKey(bucket) && !createBucket) {
                return Optional.empty();
            }
        }
        byte[] bytes = body.readAllBytes();
        synchronized (this) {
            createBucket(bucket, now);
            var info = new ObjectInfo(bucket, key, bytes.length, md5(bytes), now, attributes.contentType(),
                    new TreeMap<>(attributes.metadata()));
            objects.get(bucket).put(key, new Stored(info, bytes));
            return Optional.of(info);
        }
    }

    @Override
    public synchronized Optional<Reader> open(String bucket, String key) {
        Stored stored = objects.getOrDefault(bucket, new TreeMap<>()).get(key);
        if (stored == null) {
            return Optional.empty();
        }
        return Optional.of(new Reader() {
            @Override
            public ObjectInfo info() {
                return stored.info();
            }

            @Override
            public InputStream body(long offset, long length) {
                return new ByteArrayInputStream(stored.body(), (int) offset, (int) length);
            }

            @Override
            public int read(java.nio.ByteBuffer into, long position) {
                if (position >= stored.body().length) {
                    return -1;
                }
                int n = (int) Math.min(into.remaining(), stored.body().length - position);
                into.put(stored.body(), (int) position, n);
                return n;
            }

            @Override
            public void close() {
            }
        });
    }

    @Override
    public synchronized Optional<ObjectInfo> head(String bucket, String key) {
        return Optional.ofNullable(objects.getOrDefault(bucket, new TreeMap<>()).get(key)).map(Stored::info);
    }

    @Override
    public synchronized boolean delete(String bucket, String key) {
        return objects.getOrDefault(bucket, new TreeMap<>()).remove(key) != null;
    }

    @Override
    public synchronized Optional<List<ObjectInfo>> list(String bucket, String prefix, Optional<String> after,
            int limit) {
        var held = objects.get(bucket);
        if (held == null) {
            return Optional.empty();
        }
        var page = new ArrayList<ObjectInfo>();
        var tail = after.isPresent() ? held.tailMap(after.get(), false) : held;
        for (Stored stored : tail.values()) {
            if (page.size() == limit) {
                break;
            }
            if (stored.info().key().startsWith(prefix)) {
                page.add(stored.info());
            } else if (UTF8.compare(stored.info().key(), prefix) > 0) {
                break;
            }
        }
        return Optional.of(page);
    }

    @Override
    public synchronized Optional<ObjectInfo> copy(String sourceBucket, String sourceKey, String bucket, String key,
            Optional<Attributes> replace, Instant now) {
        Stored source = objects.getOrDefault(sourceBucket, new TreeMap<>()).get(sourceKey);
        if (source == null || !buckets.containsKey(bucket)) {
            return Optional.empty();
        }
        Attributes attributes = replace.orElse(new Attributes(source.info().contentType(), source.info().metadata()));
        var info = new ObjectInfo(bucket, key, source.info().size(), source.info().etag(), now, attributes.contentType(),
                new TreeMap<>(attributes.metadata()));
        objects.get(bucket).put(key, new Stored(info, source.body()));
        return Optional.of(info);
    }

    @Override
    public synchronized Optional<Upload> createUpload(String bucket, String key, Attributes attributes, Instant now) {
        if (!buckets.containsKey(bucket)) {
            return Optional.empty();
        }
        var upload = new Upload(UUID.randomUUID().toString(), bucket, key, now, attributes);
        uploads.put(upload.id(), upload);
        parts.put(upload.id(), new TreeMap<>());
        return Optional.of(upload);
    }

    @Override
    public synchronized Optional<Upload> upload(String bucket, String key, String uploadId) {
        return Optional.ofNullable(uploads.get(uploadId))
                .filter(upload -> upload.bucket().equals(bucket) && upload.key().equals(key));
    }

    @Override
    public Optional<Part> putPart(String bucket, String key, String uploadId, int number, InputStream body, Instant now)
            throws IOException {
        if (upload(bucket, key, uploadId).isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes = body.readAllBytes();
        var part = new Part(number, bytes.length, md5(bytes), now);
        synchronized (this) {
            parts.get(uploadId).put(number, new PartBody(part, bytes));
        }
        return Optional.of(part);
    }

    @Override
    public synchronized Optional<List<Part>> parts(String bucket, String key, String uploadId) {
        return upload(bucket, key, uploadId).map(upload -> parts.get(uploadId).values().stream()
                .map(PartBody::part).toList());
    }

    @Override
    public synchronized Completed complete(String bucket, String key, String uploadId, List<Part> chosen, Instant now)
            throws IOException {
        Optional<Upload> upload = upload(bucket, key, uploadId);
        if (upload.isEmpty()) {
            return new Completed.NoUpload();
        }
        var joined = new java.io.ByteArrayOutputStream();
        for (Part part : chosen) {
            PartBody held = parts.get(uploadId).get(part.number());
            if (held == null || !held.part().etag().equals(part.etag())) {
                return new Completed.InvalidPart(part.number());
            }
            joined.writeBytes(held.body());
        }
        byte[] bytes = joined.toByteArray();
        var info = new ObjectInfo(bucket, key, bytes.length,
                ObjectService.multipartEtag(chosen.stream().map(Part::etag).toList()), now,
                upload.get().attributes().contentType(), new TreeMap<>(upload.get().attributes().metadata()));
        objects.get(bucket).put(key, new Stored(info, bytes));
        uploads.remove(uploadId);
        parts.remove(uploadId);
        return new Completed.Done(info);
    }

    @Override
    public synchronized boolean abort(String bucket, String key, String uploadId) {
        if (upload(bucket, key, uploadId).isEmpty()) {
            return false;
        }
        uploads.remove(uploadId);
        parts.remove(uploadId);
        return true;
    }

    @Override
    public synchronized List<Upload> uploads(String bucket) {
        return uploads.values().stream().filter(upload -> upload.bucket().equals(bucket))
                .sorted(Comparator.comparing(Upload::key, UTF8).thenComparing(Upload::initiated)).toList();
    }
}
