package dev.arrow.services.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The worked examples of Amazon S3's SigV4 documentation (header auth, presigned URL, chunked
 * upload, chunked upload with a signed trailer), with their published signatures.
 */
class AwsExamplesTest {

    static final String KEY_ID = "AKIAIOSFODNN7EXAMPLE";
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final Instant WHEN = Instant.parse("2013-05-24T00:00:00Z");
    static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static final String SCOPE = KEY_ID + "/20130524/us-east-1/s3/aws4_request";

    private final SignatureV4 verifier = verifier(WHEN);

    static SignatureV4 verifier(Instant now) {
        return new SignatureV4(id -> id.equals(KEY_ID) ? Optional.of(SECRET) : Optional.empty(),
                Clock.fixed(now, ZoneOffset.UTC));
    }

    static String authorization(String signedHeaders, String signature) {
        return "AWS4-HMAC-SHA256 Credential=" + SCOPE + ",SignedHeaders=" + signedHeaders + ",Signature=" + signature;
    }

    static RequestView request(String method, String path, String query, String... headers) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            map.computeIfAbsent(headers[i], name -> new java.util.ArrayList<>()).add(headers[i + 1]);
        }
        return new RequestView(method, path, query, map);
    }

    static Verdict.Accepted accepted(Verdict verdict) {
        assertThat(verdict).isInstanceOf(Verdict.Accepted.class);
        return (Verdict.Accepted) verdict;
    }

    static S3ErrorCode refusal(Verdict verdict) {
        assertThat(verdict).as("a refusal").isInstanceOf(Verdict.Refused.class);
        return ((Verdict.Refused) verdict).error();
    }

    @Test
    void getObjectWithRange() {
        var verdict = verifier.verify(request("GET", "/test.txt", "",
                "Host", "examplebucket.s3.amazonaws.com",
                "Range", "bytes=0-9",
                "x-amz-content-sha256", EMPTY,
                "x-amz-date", "20130524T000000Z",
                "Authorization", authorization("host;range;x-amz-content-sha256;x-amz-date",
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")));
        var accepted = accepted(verdict);
        assertThat(accepted.accessKeyId()).isEqualTo(KEY_ID);
        assertThat(accepted.region()).isEqualTo("us-east-1");
        assertThat(accepted.signedAt()).isEqualTo(WHEN);
        assertThat(accepted.presigned()).isFalse();
        assertThat(accepted.payload()).isEqualTo(new Payload.Sha256(EMPTY));
        assertThat(accepted.scope()).isEqualTo("20130524/us-east-1/s3/aws4_request");
    }

    @Test
    void getObjectWithAnotherRangeIsRefused() {
        var verdict = verifier.verify(request("GET", "/test.txt", "",
                "Host", "examplebucket.s3.amazonaws.com",
                "Range", "bytes=0-10",
                "x-amz-content-sha256", EMPTY,
                "x-amz-date", "20130524T000000Z",
                "Authorization", authorization("host;range;x-amz-content-sha256;x-amz-date",
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")));
        assertThat(refusal(verdict)).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
        var details = ((Verdict.Refused) verdict).details();
        assertThat(details.get("CanonicalRequest")).contains("range:bytes=0-10");
        assertThat(details.get("StringToSign")).startsWith("AWS4-HMAC-SHA256\n20130524T000000Z\n");
    }

    @Test
    void putObjectSignsTheBodyHashAndEncodesTheDollarSign() throws IOException {
        byte[] body = "Welcome to Amazon S3.".getBytes(StandardCharsets.UTF_8);
        String hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
        for (String path : List.of("/test$file.text", "/test%24file.text")) {
            var verdict = verifier.verify(request("PUT", path, "",
                    "Host", "examplebucket.s3.amazonaws.com",
                    "Date", "Fri, 24 May 2013 00:00:00 GMT",
                    "x-amz-date", "20130524T000000Z",
                    "x-amz-storage-class", "REDUCED_REDUNDANCY",
                    "x-amz-content-sha256", hash,
                    "Authorization", authorization("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")));
            var accepted = accepted(verdict);
            assertThat(readAll(accepted.body(new ByteArrayInputStream(body)))).isEqualTo(body);
            byte[] other = "Welcome to Amazon S4.".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> readAll(accepted.body(new ByteArrayInputStream(other))))
                    .isInstanceOfSatisfying(PayloadException.class,
                            e -> assertThat(e.error()).isEqualTo(S3ErrorCode.X_AMZ_CONTENT_SHA256_MISMATCH));
        }
    }

    @Test
    void getBucketLifecycleSignsAnEmptyValue() {
        for (String query : List.of("lifecycle", "lifecycle=")) {
            var verdict = verifier.verify(request("GET", "/", query,
                    "Host", "examplebucket.s3.amazonaws.com",
                    "x-amz-content-sha256", EMPTY,
                    "x-amz-date", "20130524T000000Z",
                    "Authorization", authorization("host;x-amz-content-sha256;x-amz-date",
                            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")));
            accepted(verdict);
        }
    }

    @Test
    void listObjectsSortsTheQuery() {
        for (String query : List.of("max-keys=2&prefix=J", "prefix=J&max-keys=2", "prefix=%4A&max-keys=2")) {
            var verdict = verifier.verify(request("GET", "/", query,
                    "Host", "examplebucket.s3.amazonaws.com",
                    "x-amz-content-sha256", EMPTY,
                    "x-amz-date", "20130524T000000Z",
                    "Authorization", authorization("host;x-amz-content-sha256;x-amz-date",
                            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")));
            accepted(verdict);
        }
        var other = verifier.verify(request("GET", "/", "max-keys=2&prefix=K",
                "Host", "examplebucket.s3.amazonaws.com",
                "x-amz-content-sha256", EMPTY,
                "x-amz-date", "20130524T000000Z",
                "Authorization", authorization("host;x-amz-content-sha256;x-amz-date",
                        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")));
        assertThat(refusal(other)).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
    }

    static final String PRESIGNED_QUERY = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    @Test
    void presignedUrlIsValidForItsExpiresOnly() {
        RequestView get = request("GET", "/test.txt", PRESIGNED_QUERY, "Host", "examplebucket.s3.amazonaws.com");
        var accepted = accepted(verifier.verify(get));
        assertThat(accepted.presigned()).isTrue();
        assertThat(accepted.payload()).isEqualTo(new Payload.Unsigned());

        accepted(verifier(WHEN.plusSeconds(86400)).verify(get));
        var expired = verifier(WHEN.plusSeconds(86401)).verify(get);
        assertThat(refusal(expired)).isEqualTo(S3ErrorCode.ACCESS_DENIED);
        assertThat(((Verdict.Refused) expired).message()).isEqualTo("Request has expired");

        var early = verifier(WHEN.minusSeconds(16 * 60)).verify(get);
        assertThat(refusal(early)).isEqualTo(S3ErrorCode.ACCESS_DENIED);
        assertThat(((Verdict.Refused) early).message()).isEqualTo("Request is not valid yet");

        RequestView otherKey = request("GET", "/test2.txt", PRESIGNED_QUERY, "Host", "examplebucket.s3.amazonaws.com");
        assertThat(refusal(verifier.verify(otherKey))).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
    }

    static final String CHUNKED_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    static final List<String> CHUNK_SIGNATURES = List.of(
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");

    static RequestView chunkedRequest() {
        return request("PUT", "/examplebucket/chunkObject.txt", "",
                "Host", "s3.amazonaws.com",
                "x-amz-date", "20130524T000000Z",
                "x-amz-storage-class", "REDUCED_REDUNDANCY",
                "Authorization", authorization("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                        + "x-amz-decoded-content-length;x-amz-storage-class", CHUNKED_SEED),
                "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                "Content-Encoding", "aws-chunked",
                "x-amz-decoded-content-length", "66560",
                "Content-Length", "66824");
    }

    static byte[] chunkedBody(List<String> signatures) {
        var out = new ByteArrayOutputStream();
        byte[] a = new byte[65536];
        Arrays.fill(a, (byte) 'a');
        out.writeBytes(("10000;chunk-signature=" + signatures.get(0) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(a);
        out.writeBytes(("\r\n400;chunk-signature=" + signatures.get(1) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(a, 0, 1024);
        out.writeBytes(("\r\n0;chunk-signature=" + signatures.get(2) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void chunkedUploadVerifiesEveryChunkSignature() throws IOException {
        var accepted = accepted(verifier.verify(chunkedRequest()));
        assertThat(accepted.payload()).isEqualTo(new Payload.SignedChunks(66560, false, Optional.empty()));
        assertThat(accepted.seedSignature()).isEqualTo(CHUNKED_SEED);
        byte[] body = chunkedBody(CHUNK_SIGNATURES);
        assertThat(body).hasSize(66824);
        byte[] decoded = readAll(accepted.body(new ByteArrayInputStream(body)));
        assertThat(decoded).hasSize(66560).containsOnly((byte) 'a');

        for (int wrong = 0; wrong < 3; wrong++) {
            var signatures = new java.util.ArrayList<>(CHUNK_SIGNATURES);
            signatures.set(wrong, CHUNK_SIGNATURES.get((wrong + 1) % 3));
            byte[] tampered = chunkedBody(signatures);
            assertThatThrownBy(() -> readAll(accepted.body(new ByteArrayInputStream(tampered))))
                    .isInstanceOfSatisfying(PayloadException.class,
                            e -> assertThat(e.error()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
        }
    }

    static final String TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";

    @Test
    void chunkedUploadWithSignedTrailer() throws IOException {
        var verdict = verifier.verify(request("PUT", "/examplebucket/chunkObject.txt", "",
                "Host", "s3.amazonaws.com",
                "x-amz-date", "20130524T000000Z",
                "x-amz-storage-class", "REDUCED_REDUNDANCY",
                "Authorization", authorization("content-encoding;host;x-amz-content-sha256;x-amz-date;"
                        + "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer", TRAILER_SEED),
                "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                "Content-Encoding", "aws-chunked",
                "x-amz-decoded-content-length", "66560",
                "x-amz-trailer", "x-amz-checksum-crc32c"));
        var accepted = accepted(verdict);
        assertThat(accepted.payload())
                .isEqualTo(new Payload.SignedChunks(66560, true, Optional.of(ChecksumAlgorithm.CRC32C)));

        byte[] body = trailerBody("sOO8/Q==", "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
        assertThat(body).hasSize(66946);
        PayloadInputStream stream = accepted.body(new ByteArrayInputStream(body));
        assertThat(readAll(stream)).hasSize(66560).containsOnly((byte) 'a');
        assertThat(stream.checksums()).containsEntry(ChecksumAlgorithm.CRC32C, "sOO8/Q==");

        // The checksum changed in flight: its signature no longer holds.
        byte[] tampered = trailerBody("AAAAAA==", "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
        assertThatThrownBy(() -> readAll(accepted.body(new ByteArrayInputStream(tampered))))
                .isInstanceOfSatisfying(PayloadException.class,
                        e -> assertThat(e.error()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH));
    }

    private static byte[] trailerBody(String crc32c, String trailerSignature) {
        var out = new ByteArrayOutputStream();
        byte[] a = new byte[65536];
        Arrays.fill(a, (byte) 'a');
        out.writeBytes(("10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(a);
        out.writeBytes(("\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(a, 0, 1024);
        out.writeBytes(("\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n"
                + "x-amz-checksum-crc32c:" + crc32c + "\r\n"
                + "x-amz-trailer-signature:" + trailerSignature + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void theSigningKeyChainMatchesTheDocumentedOne() {
        // The GET Object example's string to sign, signed with the derived key, gives its signature.
        SigningKey key = SigningKey.derive(SECRET, "20130524", "us-east-1", "s3");
        assertThat(key.sign("AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                + "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"))
                .isEqualTo("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
        assertThat(key.toString()).doesNotContain(SECRET).contains("redacted");
    }

    static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }
}
