package dev.arrow.services.objects;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.services.ObjectException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ObjectServiceTest {

    private final MemoryObjectStore store = new MemoryObjectStore();
    private final ObjectService objects = new ObjectService(store,
            Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC));

    private ObjectStore.ObjectInfo put(String bucket, String key, String body) throws IOException {
        return objects.put(bucket, key, new ByteArrayInputStream(body.getBytes(UTF_8)), ObjectStore.Attributes.DEFAULT,
                true);
    }

    private String read(String bucket, String key, Optional<ByteRange> range) throws IOException {
        try (ObjectService.Content content = objects.get(bucket, key, range)) {
            return new String(content.body().readAllBytes(), UTF_8);
        }
    }

    @Test
    void bucketNamesFollowS3sRules() {
        for (String good : List.of("abc", "my-bucket.v2", "a".repeat(63), "0bucket9")) {
            assertThat(ObjectService.requireBucketName(good)).isEqualTo(good);
        }
        for (String bad : List.of("", "ab", "a".repeat(64), "Upper", "-start", "end-", "a..b", "a.-b",
                "192.168.1.1", "xn--abc", "sthree-x", "x-s3alias", "x--ol-s3", "under_score", "sp ace")) {
            assertThatThrownBy(() -> ObjectService.requireBucketName(bad)).isInstanceOf(InvalidInputException.class)
                    .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("bucket"));
        }
    }

    @Test
    void keysRefuseControlCharactersDotDotSegmentsAndLengthOver1024Bytes() {
        for (String good : List.of("a", "a/b/c.txt", "..a", "a..", "a/.../b", "é".repeat(512), "x".repeat(1024))) {
            assertThat(ObjectService.requireKey(good)).isEqualTo(good);
        }
        for (String bad : List.of("", "a\u0000b", "a\nb", "a\u007fb", "..", "a/../b", "../a", "a/..", "x".repeat(1025),
                "é".repeat(513), "\ud800")) {
            assertThatThrownBy(() -> ObjectService.requireKey(bad)).isInstanceOf(InvalidInputException.class)
                    .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("key"));
        }
    }

    @Test
    void aPutReadsBackWholeAndByRangeWithItsMd5AsEtag() throws IOException {
        ObjectStore.ObjectInfo info = put("b1b", "dir/hello.txt", "hello world");
        assertThat(info.etag()).isEqualTo("5eb63bbbe01eeed093cb22bb8f5acdc3");
        assertThat(info.size()).isEqualTo(11);
        assertThat(read("b1b", "dir/hello.txt", Optional.empty())).isEqualTo("hello world");
        assertThat(read("b1b", "dir/hello.txt", ByteRange.parse("bytes=0-4"))).isEqualTo("hello");
        assertThat(read("b1b", "dir/hello.txt", ByteRange.parse("bytes=6-"))).isEqualTo("world");
        assertThat(read("b1b", "dir/hello.txt", ByteRange.parse("bytes=-3"))).isEqualTo("rld");
        assertThat(read("b1b", "dir/hello.txt", ByteRange.parse("bytes=6-100"))).isEqualTo("world");
        try (var content = objects.get("b1b", "dir/hello.txt", ByteRange.parse("bytes=0-4"))) {
            assertThat(content.range().orElseThrow().contentRange()).isEqualTo("bytes 0-4/11");
            assertThat(content.length()).isEqualTo(5);
        }
        assertThatThrownBy(() -> objects.get("b1b", "dir/hello.txt", ByteRange.parse("bytes=11-")))
                .isInstanceOf(ObjectException.class)
                .satisfies(e -> assertThat(((ObjectException) e).kind()).isEqualTo(ObjectException.Kind.INVALID_RANGE));
    }

    @Test
    void aRangeReadsIntoBuffersNoFurtherThanItsEnd() throws IOException {
        put("b1b", "k", "0123456789");
        try (ObjectService.Content content = objects.get("b1b", "k", ByteRange.parse("bytes=2-7"))) {
            var buffer = java.nio.ByteBuffer.allocate(4);
            var read = new StringBuilder();
            long done = 0;
            int n;
            while ((n = content.read(buffer.clear(), done)) >= 0) {
                done += n;
                read.append(new String(buffer.array(), 0, buffer.position(), UTF_8));
            }
            assertThat(read.toString()).isEqualTo("234567");
        }
    }

    @Test
    void rangesS3IgnoresParseToNothing() {
        for (String ignored : List.of("items=0-1", "bytes=0-1,3-4", "bytes=5-1", "bytes=a-b", "bytes=", "bytes=-")) {
            assertThat(ByteRange.parse(ignored)).as(ignored).isEmpty();
        }
        assertThat(ByteRange.parse("bytes=-0").orElseThrow()).isEqualTo(new ByteRange(-1, 0));
        assertThatThrownBy(() -> new ByteRange(-1, 0).resolve(10)).isInstanceOf(ObjectException.class);
    }

    @Test
    void missingThingsAreNamed() throws IOException {
        assertThatThrownBy(() -> objects.head("nobucket", "k")).isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((NotFoundException) e).kind()).isEqualTo("bucket"));
        put("b1b", "k", "v");
        assertThatThrownBy(() -> objects.head("b1b", "other")).isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((NotFoundException) e).kind()).isEqualTo("object"));
        assertThatThrownBy(() -> objects.parts("b1b", "k", "nope")).isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((NotFoundException) e).kind()).isEqualTo("upload"));
        assertThatThrownBy(() -> objects.put("nobucket", "k", InputStream.nullInputStream(),
                ObjectStore.Attributes.DEFAULT, false)).isInstanceOf(NotFoundException.class);
        assertThat(objects.delete("b1b", "other")).isFalse();
        assertThat(objects.delete("b1b", "k")).isTrue();
    }

    @Test
    void aBucketIsDeletedOnlyWhenEmpty() throws IOException {
        assertThat(objects.createBucket("b1b")).isTrue();
        assertThat(objects.createBucket("b1b")).isFalse();
        put("b1b", "k", "v");
        assertThatThrownBy(() -> objects.deleteBucket("b1b")).isInstanceOf(ObjectException.class)
                .satisfies(e -> assertThat(((ObjectException) e).kind()).isEqualTo(ObjectException.Kind.BUCKET_NOT_EMPTY));
        objects.delete("b1b", "k");
        objects.deleteBucket("b1b");
        assertThat(objects.buckets()).isEmpty();
    }

    @Test
    void aListingRollsUpCommonPrefixesAndPagesThroughEverythingOnce() throws IOException {
        List<String> keys = List.of("a.txt", "photos/2020/x.jpg", "photos/2020/y.jpg", "photos/2021/z.jpg",
                "photos/top.jpg", "readme", "videos/v.mp4", "z");
        for (String key : keys) {
            put("b1b", key, key);
        }
        ObjectService.Listing all = objects.list("b1b", "", "/", Optional.empty(), 1000);
        assertThat(all.objects()).extracting(ObjectStore.ObjectInfo::key).containsExactly("a.txt", "readme", "z");
        assertThat(all.commonPrefixes()).containsExactly("photos/", "videos/");
        assertThat(all.truncated()).isFalse();

        ObjectService.Listing photos = objects.list("b1b", "photos/", "/", Optional.empty(), 1000);
        assertThat(photos.objects()).extracting(ObjectStore.ObjectInfo::key).containsExactly("photos/top.jpg");
        assertThat(photos.commonPrefixes()).containsExactly("photos/2020/", "photos/2021/");

        // Page by one: every entry exactly once, in order, common prefixes included.
        for (String delimiter : List.of("", "/")) {
            var seen = new ArrayList<String>();
            Optional<String> after = Optional.empty();
            do {
                ObjectService.Listing page = objects.list("b1b", "", delimiter, after, 1);
                assertThat(page.objects().size() + page.commonPrefixes().size()).isEqualTo(1);
                page.objects().forEach(o -> seen.add(o.key()));
                seen.addAll(page.commonPrefixes());
                after = page.next();
            } while (after.isPresent());
            assertThat(seen).isEqualTo(delimiter.isEmpty() ? keys
                    : List.of("a.txt", "photos/", "readme", "videos/", "z"));
        }
        assertThat(objects.list("b1b", "", "", Optional.of("readme"), 1000).objects())
                .extracting(ObjectStore.ObjectInfo::key).containsExactly("videos/v.mp4", "z");
        assertThat(ObjectService.decodeCursor(ObjectService.encodeCursor("photos/é"), "cursor")).isEqualTo("photos/é");
        assertThatThrownBy(() -> ObjectService.decodeCursor("!!", "cursor")).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void aCopyKeepsOrReplacesAttributes() throws IOException {
        objects.put("b1b", "src", new ByteArrayInputStream("body".getBytes(UTF_8)),
                new ObjectStore.Attributes("text/plain", Map.of("color", "red")), true);
        objects.createBucket("b2b");
        ObjectStore.ObjectInfo kept = objects.copy("b1b", "src", "b2b", "dst", Optional.empty());
        assertThat(kept.contentType()).isEqualTo("text/plain");
        assertThat(kept.metadata()).containsEntry("color", "red");
        ObjectStore.ObjectInfo replaced = objects.copy("b1b", "src", "b2b", "dst2",
                Optional.of(new ObjectStore.Attributes("image/png", Map.of())));
        assertThat(replaced.contentType()).isEqualTo("image/png");
        assertThat(replaced.metadata()).isEmpty();
        assertThat(read("b2b", "dst", Optional.empty())).isEqualTo("body");
        assertThatThrownBy(() -> objects.copy("b1b", "src", "nobucket", "dst", Optional.empty()))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void multipartChecksOrderEtagsAndPartSizesThenJoinsWithS3sEtag() throws IOException {
        objects.createBucket("b1b");
        ObjectStore.Upload upload = objects.createUpload("b1b", "big", ObjectStore.Attributes.DEFAULT);
        byte[] first = new byte[(int) ObjectService.MIN_PART_SIZE];
        Arrays.fill(first, (byte) 'a');
        ObjectStore.Part p1 = objects.putPart("b1b", "big", upload.id(), 1, new ByteArrayInputStream(first));
        ObjectStore.Part p2 = objects.putPart("b1b", "big", upload.id(), 2, new ByteArrayInputStream("tail".getBytes(UTF_8)));
        assertThat(objects.parts("b1b", "big", upload.id())).extracting(ObjectStore.Part::number).containsExactly(1, 2);

        assertThatThrownBy(() -> objects.complete("b1b", "big", upload.id(),
                List.of(Map.entry(2, p2.etag()), Map.entry(1, p1.etag()))))
                .satisfies(e -> assertThat(((ObjectException) e).kind()).isEqualTo(ObjectException.Kind.INVALID_PART_ORDER));
        assertThatThrownBy(() -> objects.complete("b1b", "big", upload.id(), List.of(Map.entry(1, "\"00\""))))
                .satisfies(e -> assertThat(((ObjectException) e).kind()).isEqualTo(ObjectException.Kind.INVALID_PART));
        assertThatThrownBy(() -> objects.complete("b1b", "big", upload.id(),
                List.of(Map.entry(2, p2.etag()), Map.entry(3, p2.etag()))))
                .satisfies(e -> assertThat(((ObjectException) e).kind()).isEqualTo(ObjectException.Kind.INVALID_PART));
        assertThatThrownBy(() -> objects.putPart("b1b", "big", upload.id(), 0, InputStream.nullInputStream()))
                .isInstanceOf(InvalidInputException.class);

        ObjectStore.ObjectInfo done = objects.complete("b1b", "big", upload.id(),
                List.of(Map.entry(1, "\"" + p1.etag() + "\""), Map.entry(2, p2.etag())));
        assertThat(done.etag()).isEqualTo(ObjectService.multipartEtag(List.of(p1.etag(), p2.etag()))).endsWith("-2");
        assertThat(done.size()).isEqualTo(first.length + 4);
        assertThat(read("b1b", "big", ByteRange.parse("bytes=-4"))).isEqualTo("tail");
        assertThatThrownBy(() -> objects.abort("b1b", "big", upload.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void aSmallPartBeforeTheLastIsTooSmall() throws IOException {
        objects.createBucket("b1b");
        ObjectStore.Upload upload = objects.createUpload("b1b", "k", ObjectStore.Attributes.DEFAULT);
        ObjectStore.Part p1 = objects.putPart("b1b", "k", upload.id(), 1, new ByteArrayInputStream(new byte[10]));
        ObjectStore.Part p2 = objects.putPart("b1b", "k", upload.id(), 2, new ByteArrayInputStream(new byte[10]));
        assertThatThrownBy(() -> objects.complete("b1b", "k", upload.id(),
                List.of(Map.entry(1, p1.etag()), Map.entry(2, p2.etag()))))
                .satisfies(e -> assertThat(((ObjectException) e).kind()).isEqualTo(ObjectException.Kind.ENTITY_TOO_SMALL));
        objects.abort("b1b", "k", upload.id());
        assertThat(objects.uploads("b1b")).isEmpty();
    }

    @Test
    void metadataNamesAreChecked() {
        assertThatThrownBy(() -> objects.put("b1b", "k", InputStream.nullInputStream(),
                new ObjectStore.Attributes("text/plain", Map.of("Bad Name", "x")), true))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> objects.put("b1b", "k", InputStream.nullInputStream(),
                new ObjectStore.Attributes("text/plain", Map.of("big", "x".repeat(3000))), true))
                .isInstanceOf(InvalidInputException.class);
    }
}
