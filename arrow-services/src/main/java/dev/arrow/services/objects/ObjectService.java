package dev.arrow.services.objects;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.services.KeyText;
import dev.arrow.services.ObjectException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Buckets and objects with the rules every implementation shares: bucket names as S3 has them,
 * what keys may be, ranges, listing with a delimiter and continuation, copies, and multipart
 * uploads' part lists. The store ({@link ObjectStore}) keeps the data.
 *
 * <ul>
 *   <li>bucket names: 3 to 63 of {@code a-z 0-9 . -}, starting and ending with a letter or digit,
 *       no {@code ..}, not an IPv4 address, not S3's reserved prefixes and suffixes;
 *   <li>keys: 1 to {@value #MAX_KEY_BYTES} bytes of UTF-8 without control characters (U+0000 to
 *       U+001F, U+007F) and without a {@code ..} segment, so that no key reads as a path upwards;
 *   <li>metadata: names of {@code a-z 0-9 - _ .}, at most {@value #MAX_METADATA_BYTES} bytes in all.
 * </ul>
 */
public final class ObjectService {

    public static final int MAX_KEY_BYTES = 1024;
    public static final int MAX_LIMIT = 1000;
    public static final int MAX_PART_NUMBER = 10_000;
    /** S3's least size of a part that is not the last. */
    public static final long MIN_PART_SIZE = 5L << 20;
    /** S3's cap on user metadata, names and values together. */
    public static final int MAX_METADATA_BYTES = 2048;

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern METADATA_NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]*");
    /** After a common prefix: no key that starts with it sorts later than this, but its own extensions. */
    private static final String MAX_CHAR = new String(Character.toChars(Character.MAX_CODE_POINT));

    private final ObjectStore store;
    private final Clock clock;
    private volatile Changes changes = Changes.NONE;

    /** Told of each object written (put, copy, multipart complete) or deleted, once the store has it. */
    public interface Changes {
        Changes NONE = new Changes() {
            @Override
            public void created(ObjectStore.ObjectInfo object) {
            }

            @Override
            public void deleted(String bucket, String key) {
            }
        };

        void created(ObjectStore.ObjectInfo object);

        void deleted(String bucket, String key);
    }

    /** Where object changes go from now on (the node's bucket triggers). */
    public void onChange(Changes listener) {
        this.changes = Objects.requireNonNull(listener, "listener");
    }

    private ObjectStore.ObjectInfo created(ObjectStore.ObjectInfo object) {
        changes.created(object);
        return object;
    }

    public ObjectService(ObjectStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * An object's body, or a range of it, open for reading as a stream ({@link #body}) or into
     * buffers ({@link #read}); closing it closes the object.
     */
    public record Content(ObjectStore.ObjectInfo info, Optional<ByteRange.Resolved> range, InputStream body,
            ObjectStore.Reader reader) implements AutoCloseable {

        public long length() {
            return range.map(ByteRange.Resolved::length).orElse(info.size());
        }

        /** Where the range (or the body) starts in the object. */
        public long offset() {
            return range.map(ByteRange.Resolved::offset).orElse(0L);
        }

        /**
         * Reads the bytes {@code done} bytes into the range into {@code into}, no further than the
         * range's end; -1 when the range is done.
         */
        public int read(ByteBuffer into, long done) throws IOException {
            long left = length() - done;
            if (left <= 0) {
                return -1;
            }
            if (into.remaining() > left) {
                into.limit(into.position() + (int) left);
            }
            return reader.read(into, offset() + done);
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    /** A page of a listing: objects, the common prefixes the delimiter rolled up, and where to go on. */
    public record Listing(List<ObjectStore.ObjectInfo> objects, List<String> commonPrefixes, Optional<String> next) {
        public Listing {
            objects = List.copyOf(objects);
            commonPrefixes = List.copyOf(commonPrefixes);
        }

        public boolean truncated() {
            return next.isPresent();
        }
    }

    public List<ObjectStore.BucketInfo> buckets() {
        return store.buckets();
    }

    public ObjectStore.BucketInfo bucket(String bucket) {
        requireBucketName(bucket);
        return store.bucket(bucket).orElseThrow(() -> noBucket(bucket));
    }

    /** Makes the bucket; false when it exists already. */
    public boolean createBucket(String bucket) {
        requireBucketName(bucket);
        return store.createBucket(bucket, clock.instant());
    }

    /** Deletes an empty bucket. */
    public void deleteBucket(String bucket) {
        requireBucketName(bucket);
        switch (store.deleteBucket(bucket)) {
            case DELETED -> { }
            case NO_BUCKET -> throw noBucket(bucket);
            case NOT_EMPTY -> throw new ObjectException(ObjectException.Kind.BUCKET_NOT_EMPTY,
                    "the bucket '" + bucket + "' is not empty: delete its objects first");
        }
    }

    /**
     * Writes the object from {@code body} (read to its end), replacing any of that key.
     *
     * @param createBucket make the bucket on its first write (the REST API, as KV does); S3's
     *                     PutObject does not
     * @throws IOException the body failed; nothing was stored
     */
    public ObjectStore.ObjectInfo put(String bucket, String key, InputStream body, ObjectStore.Attributes attributes,
            boolean createBucket) throws IOException {
        requireBucketName(bucket);
        requireKey(key);
        requireAttributes(attributes);
        return created(store.put(bucket, key, body, attributes, createBucket, clock.instant())
                .orElseThrow(() -> noBucket(bucket)));
    }

    public ObjectStore.ObjectInfo head(String bucket, String key) {
        requireBucketName(bucket);
        requireKey(key);
        return store.head(bucket, key).orElseThrow(() -> missing(bucket, key));
    }

    /**
     * Opens the object, or the part of it {@code range} takes.
     *
     * @throws ObjectException {@link ObjectException.Kind#INVALID_RANGE}: the range takes no byte of it
     */
    public Content get(String bucket, String key, Optional<ByteRange> range) throws IOException {
        requireBucketName(bucket);
        requireKey(key);
        ObjectStore.Reader reader = store.open(bucket, key).orElseThrow(() -> missing(bucket, key));
        try {
            ObjectStore.ObjectInfo info = reader.info();
            Optional<ByteRange.Resolved> resolved = range.map(r -> r.resolve(info.size()));
            long offset = resolved.map(ByteRange.Resolved::offset).orElse(0L);
            long length = resolved.map(ByteRange.Resolved::length).orElse(info.size());
            InputStream body = new FilterInputStream(reader.body(offset, length)) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        reader.close();
                    }
                }
            };
            return new Content(info, resolved, body, reader);
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /** Deletes the object; false when there was none (S3 answers both the same). */
    public boolean delete(String bucket, String key) {
        requireBucketName(bucket);
        requireKey(key);
        if (store.delete(bucket, key)) {
            changes.deleted(bucket, key);
            return true;
        }
        if (store.bucket(bucket).isEmpty()) {
            throw noBucket(bucket);
        }
        return false;
    }

    /**
     * A page of the objects whose keys start with {@code prefix}, in byte order of their UTF-8.
     * With a {@code delimiter}, the keys that hold it after the prefix are rolled up into one
     * common prefix each (up to and with the delimiter), which counts as one entry of the page.
     *
     * @param after  list after this key or common prefix (S3's start-after, or a page's {@code next})
     * @param limit  0 to {@value #MAX_LIMIT} entries
     */
    public Listing list(String bucket, String prefix, String delimiter, Optional<String> after, int limit) {
        requireBucketName(bucket);
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(delimiter, "delimiter");
        if (!prefix.isEmpty()) {
            checkKeyText(prefix, "prefix");
        }
        if (!delimiter.isEmpty()) {
            checkKeyText(delimiter, "delimiter");
        }
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new InvalidInputException("limit", "limit must be between 0 and " + MAX_LIMIT + ", not " + limit);
        }
        if (store.bucket(bucket).isEmpty()) {
            throw noBucket(bucket);
        }
        var objects = new ArrayList<ObjectStore.ObjectInfo>();
        var prefixes = new ArrayList<String>();
        if (limit == 0) {
            return new Listing(objects, prefixes, Optional.empty());
        }
        Optional<String> cursor = after;
        // A cursor that is a common prefix skips all its keys; so does each common prefix found.
        String skip = after.filter(a -> rolledUp(a, prefix, delimiter) != null).orElse(null);
        if (skip != null) {
            cursor = Optional.of(skip + MAX_CHAR);
        }
        String last = null;
        int batchSize = Math.min(MAX_LIMIT, limit + 1);
        while (true) {
            List<ObjectStore.ObjectInfo> batch = store.list(bucket, prefix, cursor, batchSize)
                    .orElseThrow(() -> noBucket(bucket));
            for (ObjectStore.ObjectInfo info : batch) {
                if (skip != null && info.key().startsWith(skip)) {
                    continue;
                }
                if (objects.size() + prefixes.size() == limit) {
                    return new Listing(objects, prefixes, Optional.of(last));
                }
                String common = rolledUp(info.key(), prefix, delimiter);
                if (common == null) {
                    objects.add(info);
                    last = info.key();
                } else {
                    prefixes.add(common);
                    last = common;
                    skip = common;
                }
            }
            if (batch.size() < batchSize) {
                return new Listing(objects, prefixes, Optional.empty());
            }
            String lastKey = batch.getLast().key();
            cursor = Optional.of(skip != null && lastKey.startsWith(skip) ? skip + MAX_CHAR : lastKey);
        }
    }

    /** The common prefix {@code key} rolls up into, or null when it is listed as itself. */
    private static String rolledUp(String key, String prefix, String delimiter) {
        if (delimiter.isEmpty() || !key.startsWith(prefix)) {
            return null;
        }
        int at = key.indexOf(delimiter, prefix.length());
        return at < 0 ? null : key.substring(0, at + delimiter.length());
    }

    /**
     * Copies an object (the store shares or streams its body); with {@code replace} the copy gets
     * those attributes, else the source's.
     */
    public ObjectStore.ObjectInfo copy(String sourceBucket, String sourceKey, String bucket, String key,
            Optional<ObjectStore.Attributes> replace) throws IOException {
        requireBucketName(sourceBucket);
        requireKey(sourceKey);
        requireBucketName(bucket);
        requireKey(key);
        replace.ifPresent(ObjectService::requireAttributes);
        Optional<ObjectStore.ObjectInfo> copied = store.copy(sourceBucket, sourceKey, bucket, key, replace,
                clock.instant());
        if (copied.isPresent()) {
            return created(copied.get());
        }
        if (store.bucket(bucket).isEmpty()) {
            throw noBucket(bucket);
        }
        throw missing(sourceBucket, sourceKey);
    }

    public ObjectStore.Upload createUpload(String bucket, String key, ObjectStore.Attributes attributes) {
        requireBucketName(bucket);
        requireKey(key);
        requireAttributes(attributes);
        return store.createUpload(bucket, key, attributes, clock.instant()).orElseThrow(() -> noBucket(bucket));
    }

    public ObjectStore.Part putPart(String bucket, String key, String uploadId, int number, InputStream body)
            throws IOException {
        requireBucketName(bucket);
        requireKey(key);
        requirePartNumber(number);
        return store.putPart(bucket, key, uploadId, number, body, clock.instant())
                .orElseThrow(() -> noUpload(bucket, key, uploadId));
    }

    public ObjectStore.Upload upload(String bucket, String key, String uploadId) {
        requireBucketName(bucket);
        requireKey(key);
        return store.upload(bucket, key, uploadId).orElseThrow(() -> noUpload(bucket, key, uploadId));
    }

    public List<ObjectStore.Part> parts(String bucket, String key, String uploadId) {
        requireBucketName(bucket);
        requireKey(key);
        return store.parts(bucket, key, uploadId).orElseThrow(() -> noUpload(bucket, key, uploadId));
    }

    public List<ObjectStore.Upload> uploads(String bucket) {
        requireBucketName(bucket);
        if (store.bucket(bucket).isEmpty()) {
            throw noBucket(bucket);
        }
        return store.uploads(bucket);
    }

    /**
     * Completes a multipart upload from the parts the client names, as S3 does: at least one, in
     * ascending order, each there with its ETag (quotes optional), each but the last at least
     * {@value #MIN_PART_SIZE} bytes. The object's ETag is the MD5 of the parts' MD5s, then
     * {@code -N}.
     */
    public ObjectStore.ObjectInfo complete(String bucket, String key, String uploadId, List<Map.Entry<Integer, String>> named)
            throws IOException {
        requireBucketName(bucket);
        requireKey(key);
        if (named.isEmpty()) {
            throw new ObjectException(ObjectException.Kind.MALFORMED_PART_LIST,
                    "The XML you provided was not well-formed or did not validate against our published schema:"
                            + " name at least one part");
        }
        var have = new TreeMap<Integer, ObjectStore.Part>();
        for (ObjectStore.Part part : parts(bucket, key, uploadId)) {
            have.put(part.number(), part);
        }
        var chosen = new ArrayList<ObjectStore.Part>();
        int previous = 0;
        for (Map.Entry<Integer, String> entry : named) {
            int number = entry.getKey();
            if (number <= previous) {
                throw new ObjectException(ObjectException.Kind.INVALID_PART_ORDER,
                        "The list of parts was not in ascending order. Parts must be ordered by part number.");
            }
            previous = number;
            ObjectStore.Part part = have.get(number);
            String etag = unquote(entry.getValue());
            if (part == null || !part.etag().equalsIgnoreCase(etag)) {
                throw invalidPart(number);
            }
            chosen.add(part);
        }
        for (int i = 0; i < chosen.size() - 1; i++) {
            if (chosen.get(i).size() < MIN_PART_SIZE) {
                throw new ObjectException(ObjectException.Kind.ENTITY_TOO_SMALL, "Your proposed upload is smaller than"
                        + " the minimum allowed size: part " + chosen.get(i).number() + " has "
                        + chosen.get(i).size() + " bytes, and each part but the last needs " + MIN_PART_SIZE);
            }
        }
        return switch (store.complete(bucket, key, uploadId, chosen, clock.instant())) {
            case ObjectStore.Completed.Done done -> created(done.object());
            case ObjectStore.Completed.NoUpload _ -> throw noUpload(bucket, key, uploadId);
            case ObjectStore.Completed.InvalidPart invalid -> throw invalidPart(invalid.number());
        };
    }

    public void abort(String bucket, String key, String uploadId) {
        requireBucketName(bucket);
        requireKey(key);
        if (!store.abort(bucket, key, uploadId)) {
            throw noUpload(bucket, key, uploadId);
        }
    }

    /** The ETag of a multipart object: the MD5 of the parts' MD5s (binary), then {@code -N}. */
    public static String multipartEtag(List<String> partEtags) {
        var md5 = Crypto.md5();
        for (String etag : partEtags) {
            md5.update(HexFormat.of().parseHex(etag));
        }
        return HexFormat.of().formatHex(md5.digest()) + "-" + partEtags.size();
    }

    private static ObjectException invalidPart(int number) {
        return new ObjectException(ObjectException.Kind.INVALID_PART, "One or more of the specified parts could not be"
                + " found. The part may not have been uploaded, or the specified entity tag may not match the part's"
                + " entity tag: part " + number);
    }

    private static String unquote(String etag) {
        String value = etag == null ? "" : etag.strip();
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1) : value;
    }

    /** Checks a bucket name by S3's rules, naming {@code bucket} as the field. */
    public static String requireBucketName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("bucket", "a bucket name is required");
        }
        String shown = shorten(name);
        if (!BUCKET.matcher(name).matches()) {
            throw new InvalidInputException("bucket", "'" + shown + "' is not a valid bucket name: use 3 to 63"
                    + " lowercase letters, digits, '.' and '-', starting and ending with a letter or digit");
        }
        if (name.contains("..") || name.contains(".-") || name.contains("-.")) {
            throw new InvalidInputException("bucket", "'" + shown + "' is not a valid bucket name: no '..', '.-' or"
                    + " '-.'");
        }
        if (IPV4.matcher(name).matches()) {
            throw new InvalidInputException("bucket", "'" + shown + "' is not a valid bucket name: it must not look"
                    + " like an IP address");
        }
        if (name.startsWith("xn--") || name.startsWith("sthree-") || name.endsWith("-s3alias")
                || name.endsWith("--ol-s3")) {
            throw new InvalidInputException("bucket", "'" + shown + "' is not a valid bucket name: the prefixes"
                    + " 'xn--' and 'sthree-' and the suffixes '-s3alias' and '--ol-s3' are reserved");
        }
        return name;
    }

    /** Checks an object key, naming {@code key} as the field. */
    public static String requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidInputException("key", "a key is required");
        }
        checkKeyText(key, "key");
        for (String segment : key.split("/", -1)) {
            if (segment.equals("..")) {
                throw new InvalidInputException("key", "a key must not have a '..' segment");
            }
        }
        return key;
    }

    public static int requirePartNumber(int number) {
        if (number < 1 || number > MAX_PART_NUMBER) {
            throw new InvalidInputException("partNumber", "Part number must be an integer between 1 and "
                    + MAX_PART_NUMBER + ", inclusive");
        }
        return number;
    }

    private static void requireAttributes(ObjectStore.Attributes attributes) {
        Objects.requireNonNull(attributes, "attributes");
        if (attributes.contentType().length() > 1024 || hasControl(attributes.contentType())) {
            throw new InvalidInputException("contentType", "the content type is at most 1024 characters, without"
                    + " control characters");
        }
        long bytes = 0;
        for (var entry : attributes.metadata().entrySet()) {
            String name = entry.getKey();
            if (!METADATA_NAME.matcher(name).matches() || !name.equals(name.toLowerCase(Locale.ROOT))) {
                throw new InvalidInputException("metadata", "metadata name '" + shorten(name) + "' is not valid: use"
                        + " lowercase letters, digits, '-', '_' and '.'");
            }
            if (hasControl(entry.getValue())) {
                throw new InvalidInputException("metadata", "metadata '" + name + "' holds control characters");
            }
            bytes += name.getBytes(StandardCharsets.UTF_8).length + entry.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        if (bytes > MAX_METADATA_BYTES) {
            throw new InvalidInputException("metadata", "Your metadata headers exceed the maximum allowed metadata"
                    + " size: " + bytes + " bytes, at most " + MAX_METADATA_BYTES);
        }
    }

    private static boolean hasControl(String text) {
        return text.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f);
    }

    private static void checkKeyText(String key, String field) {
        KeyText.check(key, field, MAX_KEY_BYTES);
    }

    /** A page's {@code next} as an opaque token: base64url, safe in a query string. */
    public static String encodeCursor(String next) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(next.getBytes(StandardCharsets.UTF_8));
    }

    /** The {@code next} a token names, naming {@code field} when it is not a token this node gave. */
    public static String decodeCursor(String token, String field) {
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(token);
            String key = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            if (key.isEmpty()) {
                throw new IllegalArgumentException("empty");
            }
            checkKeyText(key, field);
            return key;
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw new InvalidInputException(field, "'" + shorten(token) + "' is not a " + field + " this node gave:"
                    + " pass the one of the page before as it is");
        }
    }

    private static NotFoundException noBucket(String bucket) {
        return new NotFoundException("bucket", bucket);
    }

    private NotFoundException missing(String bucket, String key) {
        if (store.bucket(bucket).isEmpty()) {
            return noBucket(bucket);
        }
        return new NotFoundException("object", bucket + "/" + shorten(key));
    }

    private NotFoundException noUpload(String bucket, String key, String uploadId) {
        if (store.bucket(bucket).isEmpty()) {
            return noBucket(bucket);
        }
        return new NotFoundException("upload", shorten(uploadId == null ? "" : uploadId));
    }

    private static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
