package dev.arrow.services.objects;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where buckets and objects are kept: the port an implementation (the node's SQLite database with
 * its body files, later a NATS JetStream object store) fills. Names and keys come checked
 * ({@link ObjectService}); the store keeps bodies whole or not at all.
 *
 * <p>Durability: a write (put, upload part, complete) is on disk when it returns, and an object
 * appears only once its whole body is: a body stream that fails (an {@link IOException}, e.g. a
 * {@link PayloadException} from a signature or checksum check) leaves nothing behind. Bodies
 * stream both ways; the store never holds one in memory.
 *
 * <p>Keys are ordered by the bytes of their UTF-8, as S3 lists them.
 */
public interface ObjectStore {

    /** A bucket with the objects it holds and their bytes. */
    record BucketInfo(String name, Instant createdAt, long objects, long bytes) {
        public BucketInfo {
            Objects.requireNonNull(name);
            Objects.requireNonNull(createdAt);
        }
    }

    /**
     * An object's description: its ETag is the hex MD5 of its body, or for a completed multipart
     * upload S3's {@code md5-of-the-parts'-md5s-N}; without quotes.
     *
     * @param metadata the user's metadata (S3's {@code x-amz-meta-*} without that prefix, names in
     *                 lower case)
     */
    record ObjectInfo(String bucket, String key, long size, String etag, Instant lastModified, String contentType,
            SortedMap<String, String> metadata) {
        public ObjectInfo {
            Objects.requireNonNull(bucket);
            Objects.requireNonNull(key);
            Objects.requireNonNull(etag);
            Objects.requireNonNull(lastModified);
            Objects.requireNonNull(contentType);
            metadata = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(metadata));
        }
    }

    /** What a new object is described with besides its body. */
    record Attributes(String contentType, Map<String, String> metadata) {
        public static final String DEFAULT_CONTENT_TYPE = "binary/octet-stream";
        public static final Attributes DEFAULT = new Attributes(DEFAULT_CONTENT_TYPE, Map.of());

        public Attributes {
            Objects.requireNonNull(contentType);
            metadata = Map.copyOf(metadata);
        }
    }

    /** An open object: its description, and its body from any offset. Close it when done. */
    interface Reader extends AutoCloseable {
        ObjectInfo info();

        /** {@code length} bytes of the body from {@code offset}; the stream is the reader's, closed with it. */
        InputStream body(long offset, long length) throws IOException;

        /**
         * Reads body bytes from {@code position} into {@code into}, as much as fits; -1 at the end.
         * Lets a server send from a reused (direct) buffer without a copy through the heap.
         */
        int read(ByteBuffer into, long position) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** A multipart upload under way. */
    record Upload(String id, String bucket, String key, Instant initiated, Attributes attributes) {
    }

    /** A part of a multipart upload; its ETag is the hex MD5 of its body, without quotes. */
    record Part(int number, long size, String etag, Instant lastModified) {
    }

    /** What a bucket delete did. */
    enum BucketDeleted { DELETED, NO_BUCKET, NOT_EMPTY }

    /** What a complete did. */
    sealed interface Completed {
        record Done(ObjectInfo object) implements Completed {
        }

        record NoUpload() implements Completed {
        }

        /** The part is not there, or not with that ETag. */
        record InvalidPart(int number) implements Completed {
        }
    }

    /** Makes the bucket; false when there is one of that name already. */
    boolean createBucket(String bucket, Instant now);

    Optional<BucketInfo> bucket(String bucket);

    /** All buckets, by name. */
    List<BucketInfo> buckets();

    /** Deletes a bucket without objects, with the multipart uploads under way in it. */
    BucketDeleted deleteBucket(String bucket);

    /**
     * Writes the object from {@code body}, read to its end, replacing any of that key. Empty when
     * there is no such bucket and {@code createBucket} is false (the body is then not read).
     *
     * @throws IOException the body failed; nothing was stored
     */
    Optional<ObjectInfo> put(String bucket, String key, InputStream body, Attributes attributes, boolean createBucket,
            Instant now) throws IOException;

    /** Opens the object; empty when it or its bucket is absent. */
    Optional<Reader> open(String bucket, String key) throws IOException;

    Optional<ObjectInfo> head(String bucket, String key);

    /** Deletes the object; false when there was none. */
    boolean delete(String bucket, String key);

    /**
     * Objects whose keys start with {@code prefix} and sort after {@code after} (when given), in
     * order, at most {@code limit}; empty when there is no such bucket.
     */
    Optional<List<ObjectInfo>> list(String bucket, String prefix, Optional<String> after, int limit);

    /**
     * Copies an object to {@code bucket}/{@code key} (replacing any there) with the source's ETag and
     * size, and {@code replace}'s attributes or else the source's. Empty when the source object or
     * the target bucket is absent.
     */
    Optional<ObjectInfo> copy(String sourceBucket, String sourceKey, String bucket, String key,
            Optional<Attributes> replace, Instant now) throws IOException;

    /** Starts a multipart upload; empty when there is no such bucket. */
    Optional<Upload> createUpload(String bucket, String key, Attributes attributes, Instant now);

    Optional<Upload> upload(String bucket, String key, String uploadId);

    /**
     * Writes a part from {@code body}, replacing a part of that number; empty when there is no
     * such upload (the body is then not read).
     */
    Optional<Part> putPart(String bucket, String key, String uploadId, int number, InputStream body, Instant now)
            throws IOException;

    /** The upload's parts by number; empty when there is no such upload. */
    Optional<List<Part>> parts(String bucket, String key, String uploadId);

    /**
     * Joins the named parts, in the order given (ascending, checked by the caller), into the
     * object, and ends the upload. Each part must be there with the ETag given.
     */
    Completed complete(String bucket, String key, String uploadId, List<Part> parts, Instant now) throws IOException;

    /** Ends the upload and drops its parts; false when there was none. */
    boolean abort(String bucket, String key, String uploadId);

    /** Uploads under way in the bucket, by key then start. */
    List<Upload> uploads(String bucket);
}
