package dev.arrow.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.objects.ObjectStore;
import dev.arrow.services.objects.ObjectStore.Attributes;
import dev.arrow.services.objects.ObjectStore.ObjectInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteObjectStoreTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00.123456789Z");

    @TempDir
    Path dir;

    private SqliteState state;
    private ObjectStore objects;

    @BeforeEach
    void open() {
        state = SqliteState.open(dir.resolve("state.db"));
        objects = state.objects();
    }

    @AfterEach
    void close() {
        state.close();
    }

    private void reopen() {
        state.close();
        open();
    }

    private ObjectInfo put(String bucket, String key, String body) throws IOException {
        return objects.put(bucket, key, new ByteArrayInputStream(body.getBytes(UTF_8)),
                new Attributes("text/plain", Map.of("color", "red")), true, T0).orElseThrow();
    }

    private String read(String bucket, String key, long offset, long length) throws IOException {
        try (ObjectStore.Reader reader = objects.open(bucket, key).orElseThrow();
             InputStream body = reader.body(offset, length)) {
            return new String(body.readAllBytes(), UTF_8);
        }
    }

    private List<Path> files(String sub) throws IOException {
        try (Stream<Path> walk = Files.walk(dir.resolve("objects").resolve(sub))) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void anObjectReadsBackWholeAndInRangesAndSurvivesReopening() throws IOException {
        ObjectInfo info = put("b1b", "dir/a.txt", "hello world");
        assertThat(info.etag()).isEqualTo("5eb63bbbe01eeed093cb22bb8f5acdc3");
        reopen();
        assertThat(read("b1b", "dir/a.txt", 0, 11)).isEqualTo("hello world");
        assertThat(read("b1b", "dir/a.txt", 6, 5)).isEqualTo("world");
        ObjectInfo head = objects.head("b1b", "dir/a.txt").orElseThrow();
        assertThat(head).isEqualTo(info);
        assertThat(head.contentType()).isEqualTo("text/plain");
        assertThat(head.metadata()).containsExactly(Map.entry("color", "red"));
        assertThat(objects.bucket("b1b").orElseThrow())
                .isEqualTo(new ObjectStore.BucketInfo("b1b", T0, 1, 11));
    }

    @Test
    void anOverwriteOrDeleteLeavesNoOldBodyBehind() throws IOException {
        put("b1b", "k", "first");
        put("b1b", "k", "second");
        assertThat(files("data")).hasSize(1);
        assertThat(read("b1b", "k", 0, 6)).isEqualTo("second");
        assertThat(objects.delete("b1b", "k")).isTrue();
        assertThat(objects.delete("b1b", "k")).isFalse();
        assertThat(files("data")).isEmpty();
        assertThat(objects.head("b1b", "k")).isEmpty();
    }

    @Test
    void aReaderOpenBeforeAnOverwriteStillReadsWhatItOpened() throws IOException {
        put("b1b", "k", "first");
        try (ObjectStore.Reader reader = objects.open("b1b", "k").orElseThrow()) {
            put("b1b", "k", "second");
            assertThat(new String(reader.body(0, 5).readAllBytes(), UTF_8)).isEqualTo("first");
        }
    }

    @Test
    void aCopySharesTheBytesAndOutlivesItsSource() throws IOException {
        ObjectInfo source = put("b1b", "src", "shared bytes");
        objects.createBucket("b2b", T0);
        ObjectInfo copy = objects.copy("b1b", "src", "b2b", "dst", Optional.empty(), T0.plusSeconds(1)).orElseThrow();
        assertThat(copy.etag()).isEqualTo(source.etag());
        assertThat(copy.metadata()).isEqualTo(source.metadata());
        assertThat(copy.lastModified()).isEqualTo(T0.plusSeconds(1));
        ObjectInfo replaced = objects.copy("b1b", "src", "b1b", "src", Optional.of(new Attributes("image/png", Map.of())),
                T0).orElseThrow();
        assertThat(replaced.contentType()).isEqualTo("image/png");
        assertThat(objects.delete("b1b", "src")).isTrue();
        assertThat(read("b2b", "dst", 0, 12)).isEqualTo("shared bytes");
        assertThat(files("data")).hasSize(1);
        assertThat(objects.copy("b1b", "src", "b2b", "x", Optional.empty(), T0)).isEmpty();
        assertThat(objects.copy("b2b", "dst", "nob", "x", Optional.empty(), T0)).isEmpty();
        assertThat(files("data")).hasSize(1);
        reopen();
        assertThat(read("b2b", "dst", 0, 12)).isEqualTo("shared bytes");
    }

    @Test
    void aBodyThatFailsMidwayStoresNothing() throws IOException {
        put("b1b", "k", "kept");
        InputStream failing = new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent++ < 100_000) {
                    return 'x';
                }
                throw new IOException("the client went away");
            }
        };
        assertThatThrownBy(() -> objects.put("b1b", "k", failing, Attributes.DEFAULT, false, T0))
                .isInstanceOf(IOException.class);
        assertThat(read("b1b", "k", 0, 4)).isEqualTo("kept");
        assertThat(files("tmp")).isEmpty();
        assertThat(files("data")).hasSize(1);
    }

    @Test
    void aPutToAMissingBucketReadsNothingUnlessItMayCreateIt() throws IOException {
        assertThat(objects.put("nob", "k", InputStream.nullInputStream(), Attributes.DEFAULT, false, T0)).isEmpty();
        assertThat(objects.bucket("nob")).isEmpty();
        assertThat(objects.put("nob", "k", InputStream.nullInputStream(), Attributes.DEFAULT, true, T0)).isPresent();
        assertThat(objects.bucket("nob")).isPresent();
    }

    @Test
    void openingSweepsTemporaryFilesAndBodiesWithoutRows() throws IOException {
        put("b1b", "k", "kept");
        Path temp = Files.writeString(dir.resolve("objects/tmp/abandoned"), "half an upload");
        Files.createDirectories(dir.resolve("objects/data/ff"));
        Path orphan = Files.writeString(dir.resolve("objects/data/ff/ff00000000000000000000000000000"), "no row");
        reopen();
        assertThat(temp).doesNotExist();
        assertThat(orphan).doesNotExist();
        assertThat(read("b1b", "k", 0, 4)).isEqualTo("kept");
    }

    @Test
    void listingIsByteOrderWithinThePrefixAfterTheCursor() throws IOException {
        for (String key : List.of("a", "b/1", "b/2", "b/3", "bz", "é", "c")) {
            put("b1b", key, key);
        }
        assertThat(objects.list("b1b", "", Optional.empty(), 100).orElseThrow()).extracting(ObjectInfo::key)
                .containsExactly("a", "b/1", "b/2", "b/3", "bz", "c", "é");
        assertThat(objects.list("b1b", "b/", Optional.of("b/1"), 1).orElseThrow()).extracting(ObjectInfo::key)
                .containsExactly("b/2");
        assertThat(objects.list("nob", "", Optional.empty(), 10)).isEmpty();
        var service = new ObjectService(objects, java.time.Clock.systemUTC());
        ObjectService.Listing page = service.list("b1b", "", "/", Optional.empty(), 1000);
        assertThat(page.commonPrefixes()).containsExactly("b/");
        assertThat(page.objects()).extracting(ObjectInfo::key).containsExactly("a", "bz", "c", "é");
    }

    @Test
    void aBucketGoesOnlyWhenEmptyWithItsUploads() throws IOException {
        put("b1b", "k", "v");
        assertThat(objects.deleteBucket("b1b")).isEqualTo(ObjectStore.BucketDeleted.NOT_EMPTY);
        objects.delete("b1b", "k");
        ObjectStore.Upload upload = objects.createUpload("b1b", "big", Attributes.DEFAULT, T0).orElseThrow();
        objects.putPart("b1b", "big", upload.id(), 1, new ByteArrayInputStream(new byte[10]), T0).orElseThrow();
        assertThat(objects.deleteBucket("b1b")).isEqualTo(ObjectStore.BucketDeleted.DELETED);
        assertThat(objects.deleteBucket("b1b")).isEqualTo(ObjectStore.BucketDeleted.NO_BUCKET);
        assertThat(files("data")).isEmpty();
    }

    @Test
    void multipartJoinsThePartsStreamedAndDropsTheRest() throws Exception {
        objects.createBucket("b1b", T0);
        assertThat(objects.createUpload("nob", "k", Attributes.DEFAULT, T0)).isEmpty();
        ObjectStore.Upload upload = objects.createUpload("b1b", "big",
                new Attributes("video/mp4", Map.of("a", "b")), T0).orElseThrow();
        byte[] one = new byte[3 << 20];
        java.util.Arrays.fill(one, (byte) 1);
        ObjectStore.Part p1 = objects.putPart("b1b", "big", upload.id(), 1, new ByteArrayInputStream(one), T0).orElseThrow();
        objects.putPart("b1b", "big", upload.id(), 2, new ByteArrayInputStream("old".getBytes(UTF_8)), T0).orElseThrow();
        ObjectStore.Part p2 = objects.putPart("b1b", "big", upload.id(), 2, new ByteArrayInputStream("two".getBytes(UTF_8)), T0)
                .orElseThrow();
        ObjectStore.Part p3 = objects.putPart("b1b", "big", upload.id(), 3, new ByteArrayInputStream("three".getBytes(UTF_8)), T0)
                .orElseThrow();
        assertThat(objects.parts("b1b", "big", upload.id()).orElseThrow()).containsExactly(p1, p2, p3);
        assertThat(files("data")).hasSize(3);
        assertThat(objects.complete("b1b", "big", upload.id(), List.of(p1, new ObjectStore.Part(2, 3, "00", T0)), T0))
                .isEqualTo(new ObjectStore.Completed.InvalidPart(2));

        var done = (ObjectStore.Completed.Done) objects.complete("b1b", "big", upload.id(), List.of(p1, p3), T0);
        ObjectInfo info = done.object();
        assertThat(info.size()).isEqualTo(one.length + 5);
        assertThat(info.contentType()).isEqualTo("video/mp4");
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(MessageDigest.getInstance("MD5").digest(one));
        md5.update(MessageDigest.getInstance("MD5").digest("three".getBytes(UTF_8)));
        assertThat(info.etag()).isEqualTo(HexFormat.of().formatHex(md5.digest()) + "-2");
        assertThat(read("b1b", "big", one.length - 1, 6)).isEqualTo("\u0001three");
        assertThat(files("data")).hasSize(1); // the parts, used or not, are gone
        assertThat(objects.upload("b1b", "big", upload.id())).isEmpty();
        assertThat(objects.complete("b1b", "big", upload.id(), List.of(p1), T0))
                .isEqualTo(new ObjectStore.Completed.NoUpload());
    }

    @Test
    void anAbortDropsTheParts() throws IOException {
        objects.createBucket("b1b", T0);
        ObjectStore.Upload upload = objects.createUpload("b1b", "k", Attributes.DEFAULT, T0).orElseThrow();
        objects.putPart("b1b", "k", upload.id(), 1, new ByteArrayInputStream(new byte[10]), T0).orElseThrow();
        assertThat(objects.uploads("b1b")).containsExactly(upload);
        assertThat(objects.putPart("b1b", "other", upload.id(), 1, InputStream.nullInputStream(), T0)).isEmpty();
        assertThat(objects.abort("b1b", "k", upload.id())).isTrue();
        assertThat(objects.abort("b1b", "k", upload.id())).isFalse();
        assertThat(files("data")).isEmpty();
        assertThat(objects.uploads("b1b")).isEmpty();
    }
}
