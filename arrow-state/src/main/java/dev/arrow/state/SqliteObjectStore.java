package dev.arrow.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.objects.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Buckets and objects: metadata in the {@code buckets}, {@code objects}, {@code object_uploads}
 * and {@code object_parts} tables (see {@link Schema}), bodies as files under {@code data/} of its
 * directory, each named by a random id (never by its key, so no key can name a path).
 *
 * <p>A body is written to {@code tmp/}, synced, renamed into {@code data/}, and the directory
 * synced, before the row naming it commits (synced, {@link Database#write}); the body a row
 * replaced or dropped is deleted after that commit. A crash leaves at most files no row names:
 * temporary files and bodies without rows, which {@link #sweep} deletes when the state is opened.
 * Readers open the file a row names; a body replaced meanwhile stays readable on Linux until
 * closed.
 */
final class SqliteObjectStore implements ObjectStore {

    private static final Logger LOG = Logger.getLogger(SqliteObjectStore.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<TreeMap<String, String>> METADATA = new TypeReference<>() { };
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();
    private static final int BUFFER = 256 * 1024;
    private static final String OBJECT_COLUMNS = "key, size, etag, content_type, metadata, modified_at_ns, body";

    private final Database database;
    private final Path tmp;
    private final Path data;

    SqliteObjectStore(Database database, Path directory) {
        this.database = database;
        this.tmp = directory.resolve("tmp");
        this.data = directory.resolve("data");
        try {
            Files.createDirectories(tmp);
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the object directory " + directory, e);
        }
    }

    // ---- bodies on disk

    /** A body written and synced into data/: its file name, size and MD5. */
    private record Body(String name, long size, byte[] md5) {
        String etag() {
            return HEX.formatHex(md5);
        }
    }

    private Path path(String name) {
        return data.resolve(name.substring(0, 2)).resolve(name);
    }

    private static String newName() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HEX.formatHex(bytes);
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    /** Streams {@code in} to a new body file: temporary, synced, renamed, its directory synced. */
    private Body writeBody(InputStream in) throws IOException {
        return writeBody(out -> {
            MessageDigest md5 = md5();
            byte[] buffer = new byte[BUFFER];
            long size = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                md5.update(buffer, 0, n);
                ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
                size += n;
            }
            return new Written(size, md5.digest());
        });
    }

    /** What a filler wrote: its size and, when it computed one, its MD5 (else empty). */
    private record Written(long size, byte[] md5) {
    }

    @FunctionalInterface
    private interface Filler {
        Written fill(FileChannel out) throws IOException;
    }

    private Body writeBody(Filler filler) throws IOException {
        String name = newName();
        Path temp = tmp.resolve(name);
        boolean done = false;
        try {
            Written written;
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                written = filler.fill(out);
                out.force(true);
            }
            Path target = path(name);
            Path directory = target.getParent();
            Files.createDirectories(directory);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(directory);
            done = true;
            return new Body(name, written.size(), written.md5());
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Deletes bodies no row names any more; a failure only leaves a file for the next sweep. */
    private void deleteBodies(List<String> names) {
        for (String name : names) {
            if (name == null) {
                continue;
            }
            try {
                Files.deleteIfExists(path(name));
            } catch (IOException e) {
                LOG.warning("cannot delete the object body " + name + ": " + e.getMessage());
            }
        }
    }

    /**
     * Deletes what a crash left: every temporary file, and every body no row names. Run when the
     * state is opened, before any write.
     */
    int sweep() {
        int removed = 0;
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(tmp)) {
            for (Path temp : temps) {
                Files.deleteIfExists(temp);
                removed++;
            }
            Set<String> named = database.read(connection -> {
                var names = new HashSet<String>();
                try (var select = connection.prepareStatement("SELECT body FROM objects UNION ALL SELECT body FROM object_parts");
                     ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        names.add(rows.getString(1));
                    }
                }
                return names;
            });
            try (DirectoryStream<Path> fans = Files.newDirectoryStream(data)) {
                for (Path fan : fans) {
                    try (DirectoryStream<Path> bodies = Files.newDirectoryStream(fan)) {
                        for (Path body : bodies) {
                            if (!named.contains(body.getFileName().toString())) {
                                Files.deleteIfExists(body);
                                removed++;
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sweep the object directory " + tmp.getParent(), e);
        }
        if (removed > 0) {
            int count = removed;
            LOG.info(() -> "removed " + count + " object files an interrupted write left behind");
        }
        return removed;
    }

    // ---- buckets

    @Override
    public boolean createBucket(String bucket, Instant now) {
        return database.write(connection -> insertBucket(connection, bucket, Times.nanos(now)));
    }

    private boolean insertBucket(Connection connection, String bucket, long nowNanos) throws SQLException {
        return database.withStatement(connection,
                "INSERT INTO buckets (name, created_at_ns) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", insert -> {
                    insert.setString(1, bucket);
                    insert.setLong(2, nowNanos);
                    return insert.executeUpdate() == 1;
                });
    }

    private boolean bucketExists(Connection connection, String bucket) throws SQLException {
        return database.withStatement(connection, "SELECT 1 FROM buckets WHERE name = ?", select -> {
            select.setString(1, bucket);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        });
    }

    private static final String BUCKET_INFO = """
            SELECT b.name, b.created_at_ns,
                (SELECT COUNT(*) FROM objects o WHERE o.bucket = b.name),
                (SELECT COALESCE(SUM(size), 0) FROM objects o WHERE o.bucket = b.name)
            FROM buckets b""";

    private static BucketInfo bucketInfo(ResultSet rows) throws SQLException {
        return new BucketInfo(rows.getString(1), Times.instant(rows.getLong(2)), rows.getLong(3), rows.getLong(4));
    }

    @Override
    public Optional<BucketInfo> bucket(String bucket) {
        return database.read(connection -> database.withStatement(connection, BUCKET_INFO + " WHERE b.name = ?",
                select -> {
                    select.setString(1, bucket);
                    try (ResultSet rows = select.executeQuery()) {
                        return rows.next() ? Optional.of(bucketInfo(rows)) : Optional.<BucketInfo>empty();
                    }
                }));
    }

    @Override
    public List<BucketInfo> buckets() {
        return database.read(connection -> database.withStatement(connection, BUCKET_INFO + " ORDER BY b.name",
                select -> {
                    var infos = new ArrayList<BucketInfo>();
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            infos.add(bucketInfo(rows));
                        }
                    }
                    return List.copyOf(infos);
                }));
    }

    @Override
    public BucketDeleted deleteBucket(String bucket) {
        var dropped = new ArrayList<String>();
        BucketDeleted result = database.write(connection -> {
            dropped.clear();
            if (!bucketExists(connection, bucket)) {
                return BucketDeleted.NO_BUCKET;
            }
            boolean empty = database.withStatement(connection, "SELECT 1 FROM objects WHERE bucket = ? LIMIT 1",
                    select -> {
                        select.setString(1, bucket);
                        try (ResultSet rows = select.executeQuery()) {
                            return !rows.next();
                        }
                    });
            if (!empty) {
                return BucketDeleted.NOT_EMPTY;
            }
            database.withStatement(connection, """
                    SELECT p.body FROM object_parts p JOIN object_uploads u ON p.upload = u.id WHERE u.bucket = ?""",
                    select -> {
                        select.setString(1, bucket);
                        try (ResultSet rows = select.executeQuery()) {
                            while (rows.next()) {
                                dropped.add(rows.getString(1));
                            }
                        }
                        return null;
                    });
            // Its uploads and their parts go with it (ON DELETE CASCADE).
            database.withStatement(connection, "DELETE FROM buckets WHERE name = ?", delete -> {
                delete.setString(1, bucket);
                return delete.executeUpdate();
            });
            return BucketDeleted.DELETED;
        });
        deleteBodies(dropped);
        return result;
    }

    // ---- objects

    private static byte[] utf8(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static String metadataJson(Map<String, String> metadata) {
        try {
            return JSON.writeValueAsString(new TreeMap<>(metadata));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: a map of strings", e);
        }
    }

    private static TreeMap<String, String> metadata(String json) {
        try {
            return JSON.readValue(json, METADATA);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an object's metadata in the state is not JSON: " + e.getMessage(), e);
        }
    }

    /** A row of {@link #OBJECT_COLUMNS}. */
    private static ObjectInfo objectInfo(String bucket, ResultSet rows) throws SQLException {
        return new ObjectInfo(bucket, new String(rows.getBytes(1), StandardCharsets.UTF_8), rows.getLong(2),
                rows.getString(3), Times.instant(rows.getLong(6)), rows.getString(4), metadata(rows.getString(5)));
    }

    /** The object's description and body name, or null. */
    private record Row(ObjectInfo info, String body) {
    }

    private Row objectRow(Connection connection, String bucket, String key) throws SQLException {
        return database.withStatement(connection,
                "SELECT " + OBJECT_COLUMNS + " FROM objects WHERE bucket = ? AND key = ?", select -> {
                    select.setString(1, bucket);
                    select.setBytes(2, utf8(key));
                    try (ResultSet rows = select.executeQuery()) {
                        return rows.next() ? new Row(objectInfo(bucket, rows), rows.getString(7)) : null;
                    }
                });
    }

    /** Inserts or replaces the object's row; answers the body it replaced, or null. */
    private String upsertObject(Connection connection, ObjectInfo info, String body) throws SQLException {
        Row old = objectRow(connection, info.bucket(), info.key());
        database.withStatement(connection, """
                INSERT INTO objects (bucket, key, size, etag, content_type, metadata, modified_at_ns, body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
                    content_type = excluded.content_type, metadata = excluded.metadata,
                    modified_at_ns = excluded.modified_at_ns, body = excluded.body""", upsert -> {
                    upsert.setString(1, info.bucket());
                    upsert.setBytes(2, utf8(info.key()));
                    upsert.setLong(3, info.size());
                    upsert.setString(4, info.etag());
                    upsert.setString(5, info.contentType());
                    upsert.setString(6, metadataJson(info.metadata()));
                    upsert.setLong(7, Times.nanos(info.lastModified()));
                    upsert.setString(8, body);
                    return upsert.executeUpdate();
                });
        return old == null ? null : old.body();
    }

    @Override
    public Optional<ObjectInfo> put(String bucket, String key, InputStream in, Attributes attributes,
            boolean createBucket, Instant now) throws IOException {
        if (!createBucket && bucket(bucket).isEmpty()) {
            return Optional.empty();
        }
        Body body = writeBody(in);
        var info = new ObjectInfo(bucket, key, body.size(), body.etag(), now, attributes.contentType(),
                new TreeMap<>(attributes.metadata()));
        long nowNanos = Times.nanos(now);
        Optional<String> replaced;
        try {
            replaced = database.write(connection -> {
                if (!bucketExists(connection, bucket)) {
                    if (!createBucket) {
                        return null;
                    }
                    insertBucket(connection, bucket, nowNanos);
                }
                return Optional.ofNullable(upsertObject(connection, info, body.name()));
            });
        } catch (RuntimeException e) {
            deleteBodies(List.of(body.name()));
            throw e;
        }
        if (replaced == null) { // the bucket went while the body was written
            deleteBodies(List.of(body.name()));
            return Optional.empty();
        }
        replaced.ifPresent(old -> deleteBodies(List.of(old)));
        return Optional.of(info);
    }

    @Override
    public Optional<Reader> open(String bucket, String key) throws IOException {
        // The row's body may be replaced and deleted between reading the row and opening the
        // file: then read the row again.
        for (int attempt = 0; ; attempt++) {
            Row row = database.read(connection -> objectRow(connection, bucket, key));
            if (row == null) {
                return Optional.empty();
            }
            FileChannel channel;
            try {
                channel = FileChannel.open(path(row.body()), StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                if (attempt < 10) {
                    continue;
                }
                throw e;
            }
            return Optional.of(new FileReader(row.info(), channel));
        }
    }

    private record FileReader(ObjectInfo info, FileChannel channel) implements Reader {
        @Override
        public InputStream body(long offset, long length) throws IOException {
            channel.position(offset);
            return new BoundedInputStream(Channels.newInputStream(channel), length);
        }

        @Override
        public int read(ByteBuffer into, long position) throws IOException {
            return channel.read(into, position);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** At most {@code remaining} bytes of {@code in}. */
    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedInputStream(InputStream in, long remaining) {
            this.in = in;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    @Override
    public Optional<ObjectInfo> head(String bucket, String key) {
        return Optional.ofNullable(database.read(connection -> objectRow(connection, bucket, key))).map(Row::info);
    }

    @Override
    public boolean delete(String bucket, String key) {
        String body = database.write(connection -> {
            Row row = objectRow(connection, bucket, key);
            if (row == null) {
                return null;
            }
            database.withStatement(connection, "DELETE FROM objects WHERE bucket = ? AND key = ?", delete -> {
                delete.setString(1, bucket);
                delete.setBytes(2, utf8(key));
                return delete.executeUpdate();
            });
            return row.body();
        });
        if (body == null) {
            return false;
        }
        deleteBodies(List.of(body));
        return true;
    }

    @Override
    public Optional<List<ObjectInfo>> list(String bucket, String prefix, Optional<String> after, int limit) {
        // A prefix is the range [prefix, upperBound(prefix)) of the keys' bytes.
        byte[] from = prefix.isEmpty() ? null : utf8(prefix);
        byte[] to = from == null ? null : SqliteKvStore.upperBound(from);
        byte[] afterBytes = after.map(SqliteObjectStore::utf8).orElse(null);
        StringBuilder sql = new StringBuilder("SELECT " + OBJECT_COLUMNS + " FROM objects WHERE bucket = ?");
        if (from != null) {
            sql.append(" AND key >= ?");
        }
        if (to != null) {
            sql.append(" AND key < ?");
        }
        if (afterBytes != null) {
            sql.append(" AND key > ?");
        }
        sql.append(" ORDER BY key LIMIT ?");
        return database.read(connection -> {
            if (!bucketExists(connection, bucket)) {
                return Optional.empty();
            }
            return database.withStatement(connection, sql.toString(), select -> {
                int i = 1;
                select.setString(i++, bucket);
                if (from != null) {
                    select.setBytes(i++, from);
                }
                if (to != null) {
                    select.setBytes(i++, to);
                }
                if (afterBytes != null) {
                    select.setBytes(i++, afterBytes);
                }
                select.setInt(i, limit);
                var infos = new ArrayList<ObjectInfo>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        infos.add(objectInfo(bucket, rows));
                    }
                }
                return Optional.of(List.copyOf(infos));
            });
        });
    }

    /**
     * A copy shares the source's bytes: its body is a new hard link to the source's file (bodies
     * are never written in place), made and synced before the copy's row commits.
     */
    @Override
    public Optional<ObjectInfo> copy(String sourceBucket, String sourceKey, String bucket, String key,
            Optional<Attributes> replace, Instant now) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Row source = database.read(connection -> objectRow(connection, sourceBucket, sourceKey));
            if (source == null) {
                return Optional.empty();
            }
            String name = newName();
            Path target = path(name);
            Files.createDirectories(target.getParent());
            try {
                Files.createLink(target, path(source.body()));
            } catch (NoSuchFileException e) {
                if (attempt < 10) {
                    continue; // the source was replaced meanwhile: read its row again
                }
                throw e;
            }
            syncDirectory(target.getParent());
            Attributes attributes = replace.orElse(new Attributes(source.info().contentType(), source.info().metadata()));
            var info = new ObjectInfo(bucket, key, source.info().size(), source.info().etag(), now,
                    attributes.contentType(), new TreeMap<>(attributes.metadata()));
            Optional<String> replaced;
            try {
                replaced = database.write(connection -> bucketExists(connection, bucket)
                        ? Optional.ofNullable(upsertObject(connection, info, name)) : null);
            } catch (RuntimeException e) {
                deleteBodies(List.of(name));
                throw e;
            }
            if (replaced == null) {
                deleteBodies(List.of(name));
                return Optional.empty();
            }
            replaced.ifPresent(old -> deleteBodies(List.of(old)));
            return Optional.of(info);
        }
    }

    // ---- multipart uploads

    private static Upload upload(ResultSet rows) throws SQLException {
        return new Upload(rows.getString(1), rows.getString(2), new String(rows.getBytes(3), StandardCharsets.UTF_8),
                Times.instant(rows.getLong(6)), new Attributes(rows.getString(4), metadata(rows.getString(5))));
    }

    private static final String UPLOAD_COLUMNS = "id, bucket, key, content_type, metadata, initiated_at_ns";

    private Upload uploadRow(Connection connection, String bucket, String key, String uploadId) throws SQLException {
        return database.withStatement(connection,
                "SELECT " + UPLOAD_COLUMNS + " FROM object_uploads WHERE id = ? AND bucket = ? AND key = ?", select -> {
                    select.setString(1, uploadId);
                    select.setString(2, bucket);
                    select.setBytes(3, utf8(key));
                    try (ResultSet rows = select.executeQuery()) {
                        return rows.next() ? upload(rows) : null;
                    }
                });
    }

    @Override
    public Optional<Upload> createUpload(String bucket, String key, Attributes attributes, Instant now) {
        var upload = new Upload(newName(), bucket, key, now, attributes);
        return Optional.ofNullable(database.write(connection -> {
            if (!bucketExists(connection, bucket)) {
                return null;
            }
            database.withStatement(connection, "INSERT INTO object_uploads (" + UPLOAD_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?)", insert -> {
                        insert.setString(1, upload.id());
                        insert.setString(2, bucket);
                        insert.setBytes(3, utf8(key));
                        insert.setString(4, attributes.contentType());
                        insert.setString(5, metadataJson(attributes.metadata()));
                        insert.setLong(6, Times.nanos(now));
                        return insert.executeUpdate();
                    });
            return upload;
        }));
    }

    @Override
    public Optional<Upload> upload(String bucket, String key, String uploadId) {
        return Optional.ofNullable(database.read(connection -> uploadRow(connection, bucket, key, uploadId)));
    }

    /** A part's row, its body's name with it. */
    private record PartRow(Part part, String body) {
    }

    private List<PartRow> partRows(Connection connection, String uploadId) throws SQLException {
        return database.withStatement(connection, """
                SELECT number, size, etag, modified_at_ns, body FROM object_parts WHERE upload = ? ORDER BY number""",
                select -> {
                    select.setString(1, uploadId);
                    var parts = new ArrayList<PartRow>();
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            parts.add(new PartRow(new Part(rows.getInt(1), rows.getLong(2), rows.getString(3),
                                    Times.instant(rows.getLong(4))), rows.getString(5)));
                        }
                    }
                    return parts;
                });
    }

    @Override
    public Optional<Part> putPart(String bucket, String key, String uploadId, int number, InputStream in, Instant now)
            throws IOException {
        if (upload(bucket, key, uploadId).isEmpty()) {
            return Optional.empty();
        }
        Body body = writeBody(in);
        var part = new Part(number, body.size(), body.etag(), now);
        Optional<String> replaced;
        try {
            replaced = database.write(connection -> {
                if (uploadRow(connection, bucket, key, uploadId) == null) {
                    return null;
                }
                String old = null;
                for (PartRow row : partRows(connection, uploadId)) {
                    if (row.part().number() == number) {
                        old = row.body();
                    }
                }
                database.withStatement(connection, """
                        INSERT INTO object_parts (upload, number, size, etag, modified_at_ns, body)
                        VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (upload, number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
                            modified_at_ns = excluded.modified_at_ns, body = excluded.body""", upsert -> {
                            upsert.setString(1, uploadId);
                            upsert.setInt(2, number);
                            upsert.setLong(3, part.size());
                            upsert.setString(4, part.etag());
                            upsert.setLong(5, Times.nanos(now));
                            upsert.setString(6, body.name());
                            return upsert.executeUpdate();
                        });
                return Optional.ofNullable(old);
            });
        } catch (RuntimeException e) {
            deleteBodies(List.of(body.name()));
            throw e;
        }
        if (replaced == null) {
            deleteBodies(List.of(body.name()));
            return Optional.empty();
        }
        replaced.ifPresent(old -> deleteBodies(List.of(old)));
        return Optional.of(part);
    }

    @Override
    public Optional<List<Part>> parts(String bucket, String key, String uploadId) {
        return database.read(connection -> {
            if (uploadRow(connection, bucket, key, uploadId) == null) {
                return Optional.empty();
            }
            return Optional.of(partRows(connection, uploadId).stream().map(PartRow::part).toList());
        });
    }

    @Override
    public Completed complete(String bucket, String key, String uploadId, List<Part> chosen, Instant now)
            throws IOException {
        record Found(Upload upload, List<PartRow> parts) {
        }
        Found found = database.read(connection -> {
            Upload upload = uploadRow(connection, bucket, key, uploadId);
            return upload == null ? null : new Found(upload, partRows(connection, uploadId));
        });
        if (found == null) {
            return new Completed.NoUpload();
        }
        var bodies = new ArrayList<String>();
        for (Part part : chosen) {
            PartRow row = found.parts().stream().filter(p -> p.part().number() == part.number()).findFirst().orElse(null);
            if (row == null || !row.part().etag().equalsIgnoreCase(part.etag())) {
                return new Completed.InvalidPart(part.number());
            }
            bodies.add(row.body());
        }
        Body joined;
        try {
            joined = writeBody(out -> {
                long size = 0;
                for (String name : bodies) {
                    try (FileChannel in = FileChannel.open(path(name), StandardOpenOption.READ)) {
                        long length = in.size();
                        long at = 0;
                        while (at < length) {
                            at += in.transferTo(at, length - at, out);
                        }
                        size += length;
                    }
                }
                return new Written(size, new byte[0]); // a multipart ETag is made of the parts' MD5s
            });
        } catch (NoSuchFileException e) {
            return new Completed.NoUpload(); // completed or aborted meanwhile
        }
        String etag = ObjectService.multipartEtag(chosen.stream().map(Part::etag).toList());
        Attributes attributes = found.upload().attributes();
        var info = new ObjectInfo(bucket, key, joined.size(), etag, now, attributes.contentType(),
                new TreeMap<>(attributes.metadata()));
        List<String> dropped;
        try {
            dropped = database.write(connection -> {
                if (uploadRow(connection, bucket, key, uploadId) == null) {
                    return null;
                }
                var current = partRows(connection, uploadId);
                for (String name : bodies) {
                    if (current.stream().noneMatch(p -> p.body().equals(name))) {
                        return null; // a part was uploaded again meanwhile: the client's list is stale
                    }
                }
                var gone = new ArrayList<String>();
                current.forEach(p -> gone.add(p.body()));
                gone.add(upsertObject(connection, info, joined.name()));
                database.withStatement(connection, "DELETE FROM object_uploads WHERE id = ?", delete -> {
                    delete.setString(1, uploadId);
                    return delete.executeUpdate();
                });
                return gone;
            });
        } catch (RuntimeException e) {
            deleteBodies(List.of(joined.name()));
            throw e;
        }
        if (dropped == null) {
            deleteBodies(List.of(joined.name()));
            return upload(bucket, key, uploadId).isEmpty() ? new Completed.NoUpload()
                    : new Completed.InvalidPart(chosen.getFirst().number());
        }
        deleteBodies(dropped);
        return new Completed.Done(info);
    }

    @Override
    public boolean abort(String bucket, String key, String uploadId) {
        List<String> dropped = database.write(connection -> {
            if (uploadRow(connection, bucket, key, uploadId) == null) {
                return null;
            }
            List<String> bodies = partRows(connection, uploadId).stream().map(PartRow::body).toList();
            database.withStatement(connection, "DELETE FROM object_uploads WHERE id = ?", delete -> {
                delete.setString(1, uploadId);
                return delete.executeUpdate();
            });
            return bodies;
        });
        if (dropped == null) {
            return false;
        }
        deleteBodies(dropped);
        return true;
    }

    @Override
    public List<Upload> uploads(String bucket) {
        return database.read(connection -> database.withStatement(connection, "SELECT " + UPLOAD_COLUMNS
                + " FROM object_uploads WHERE bucket = ? ORDER BY key, initiated_at_ns", select -> {
                    select.setString(1, bucket);
                    var uploads = new ArrayList<Upload>();
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            uploads.add(upload(rows));
                        }
                    }
                    return List.copyOf(uploads);
                }));
    }

}
