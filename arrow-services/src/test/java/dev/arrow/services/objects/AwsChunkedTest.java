package dev.arrow.services.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.checksums.spi.ChecksumAlgorithm;

/** aws-chunked bodies made by the AWS SDK's signer, decoded in small reads, and spoiled in each way that matters. */
class AwsChunkedTest {

    static final int MIB = 1024 * 1024;

    static byte[] data(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    static SdkSigner.Signed chunked(SdkSigner.Mode mode, byte[] data, Map<String, List<String>> headers) {
        return SdkSignerTest.SDK.sign(SdkSignerTest.WHEN, mode, "PUT", "/bucket/big%20object.bin", Map.of(), headers,
                data);
    }

    static Verdict.Accepted accept(SdkSigner.Signed signed) {
        Verdict verdict = SdkSignerTest.VERIFIER.verify(signed.view());
        assertThat(verdict).as("%s", verdict).isInstanceOf(Verdict.Accepted.class);
        return (Verdict.Accepted) verdict;
    }

    /** Reads in pieces of 1 to 333 bytes, as a slow socket would hand them over. */
    static byte[] readInSmallPieces(InputStream in) throws IOException {
        var out = new ByteArrayOutputStream();
        var random = new Random(42);
        byte[] piece = new byte[333];
        int n;
        while ((n = in.read(piece, 0, 1 + random.nextInt(piece.length))) >= 0) {
            out.write(piece, 0, n);
        }
        return out.toByteArray();
    }

    static Stream<Arguments> modes() {
        return Stream.of(
                Arguments.of("signed chunks", SdkSigner.Mode.chunked(true, null)),
                Arguments.of("signed chunks, CRC32 trailer", SdkSigner.Mode.chunked(true, DefaultChecksumAlgorithm.CRC32)),
                Arguments.of("signed chunks, CRC32C trailer",
                        SdkSigner.Mode.chunked(true, DefaultChecksumAlgorithm.CRC32C)),
                Arguments.of("signed chunks, SHA1 trailer", SdkSigner.Mode.chunked(true, DefaultChecksumAlgorithm.SHA1)),
                Arguments.of("signed chunks, SHA256 trailer",
                        SdkSigner.Mode.chunked(true, DefaultChecksumAlgorithm.SHA256)),
                Arguments.of("unsigned chunks, CRC32 trailer",
                        SdkSigner.Mode.chunked(false, DefaultChecksumAlgorithm.CRC32)),
                Arguments.of("unsigned chunks, CRC32C trailer",
                        SdkSigner.Mode.chunked(false, DefaultChecksumAlgorithm.CRC32C)),
                Arguments.of("unsigned chunks, SHA256 trailer",
                        SdkSigner.Mode.chunked(false, DefaultChecksumAlgorithm.SHA256)));
    }

    static Stream<Arguments> modesAndSizes() {
        return modes().flatMap(mode -> Stream.of(0, 1, 128 * 1024, 3 * MIB + 7)
                .map(size -> Arguments.of(mode.get()[0], mode.get()[1], size)));
    }

    @ParameterizedTest(name = "{0}, {2} bytes")
    @MethodSource("modesAndSizes")
    void decodesWhatTheSdkEncodes(String name, SdkSigner.Mode mode, int size) throws IOException {
        byte[] data = data(size);
        var signed = chunked(mode, data, Map.of());
        var accepted = accept(signed);
        Payload payload = accepted.payload();
        if (mode.payloadSigning()) {
            assertThat(payload).isInstanceOfSatisfying(Payload.SignedChunks.class, p -> {
                assertThat(p.decodedLength()).isEqualTo(size);
                assertThat(p.signedTrailer()).isEqualTo(mode.checksum() != null);
            });
        } else {
            assertThat(payload).isInstanceOfSatisfying(Payload.UnsignedChunks.class,
                    p -> assertThat(p.decodedLength()).isEqualTo(size));
        }
        PayloadInputStream body = accepted.body(new ByteArrayInputStream(signed.body()));
        assertThat(readInSmallPieces(body)).isEqualTo(data);
        if (mode.checksum() != null) {
            var algorithm = dev.arrow.services.objects.ChecksumAlgorithm.valueOf(mode.checksum().algorithmId());
            var digester = algorithm.digester();
            digester.update(data, 0, data.length);
            assertThat(body.checksums())
                    .containsEntry(algorithm, Base64.getEncoder().encodeToString(digester.value()));
        }
        assertThat(body.read()).isEqualTo(-1);
    }

    static PayloadException failure(Verdict.Accepted accepted, byte[] body) {
        var thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> readInSmallPieces(accepted.body(new ByteArrayInputStream(body))));
        assertThat(thrown).as("the spoiled body must not pass").isInstanceOf(PayloadException.class);
        return (PayloadException) thrown;
    }

    static int indexOf(byte[] haystack, String needle, int from) {
        byte[] bytes = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = from; i <= haystack.length - bytes.length; i++) {
            for (int j = 0; j < bytes.length; j++) {
                if (haystack[i + j] != bytes[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void aChangedDataByteIsCaught(String name, SdkSigner.Mode mode) {
        var signed = chunked(mode, data(MIB), Map.of());
        var accepted = accept(signed);
        byte[] body = signed.body().clone();
        body[body.length / 2] ^= 1;
        S3ErrorCode expected = mode.payloadSigning() ? S3ErrorCode.SIGNATURE_DOES_NOT_MATCH : S3ErrorCode.BAD_DIGEST;
        assertThat(failure(accepted, body).error()).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void aTruncatedBodyIsIncomplete(String name, SdkSigner.Mode mode) {
        var signed = chunked(mode, data(MIB), Map.of());
        var accepted = accept(signed);
        for (int length : List.of(0, 3, 60, signed.body().length / 2, MIB)) {
            byte[] body = Arrays.copyOf(signed.body(), length);
            assertThat(failure(accepted, body).error()).as("cut at %d", length).isEqualTo(S3ErrorCode.INCOMPLETE_BODY);
        }
    }

    @Test
    void aCorruptedChunkSignatureIsCaught() {
        var signed = chunked(SdkSigner.Mode.chunked(true, null), data(MIB), Map.of());
        var accepted = accept(signed);
        for (int chunk = 0; chunk < 3; chunk++) {
            byte[] body = signed.body().clone();
            int at = -1;
            for (int i = 0; i <= chunk; i++) {
                at = indexOf(body, "chunk-signature=", at + 1);
            }
            int hex = at + "chunk-signature=".length() + 7;
            body[hex] = (byte) (body[hex] == '0' ? '1' : '0');
            assertThat(failure(accepted, body).error()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
        }
        // The last chunk's signature, on no bytes, counts too.
        byte[] body = signed.body().clone();
        int last = indexOf(body, "\r\n0;chunk-signature=", 0) + "\r\n0;chunk-signature=".length();
        body[last] = (byte) (body[last] == '0' ? '1' : '0');
        assertThat(failure(accepted, body).error()).isEqualTo(S3ErrorCode.SIGNATURE_DOES_NOT_MATCH);
    }

    /** Encodes as a client would, chunk signatures chained from the accepted request's seed; written apart from the decoder. */
    static byte[] encode(Verdict.Accepted accepted, byte[] data, int chunkSize, boolean signed) {
        var out = new ByteArrayOutputStream();
        String previous = accepted.seedSignature();
        int offset = 0;
        while (true) {
            int n = Math.min(chunkSize, data.length - offset);
            byte[] chunk = Arrays.copyOfRange(data, offset, offset + n);
            String header = Integer.toHexString(n);
            if (signed) {
                previous = accepted.signingKey().sign("AWS4-HMAC-SHA256-PAYLOAD\n" + accepted.timestamp() + "\n"
                        + accepted.scope() + "\n" + previous + "\n" + AwsExamplesTest.EMPTY + "\n" + sha256Hex(chunk));
                header += ";chunk-signature=" + previous;
            }
            out.writeBytes((header + "\r\n").getBytes(StandardCharsets.US_ASCII));
            if (n == 0) {
                break;
            }
            out.writeBytes(chunk);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            offset += n;
        }
        if (signed) {
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            var crc = new java.util.zip.CRC32();
            crc.update(data);
            byte[] value = java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array();
            out.writeBytes(("x-amz-checksum-crc32:" + Base64.getEncoder().encodeToString(value) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "signed {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void theDecodedLengthMustBeTheDeclaredOne(boolean signedChunks) throws IOException {
        byte[] data = data(200_000);
        SdkSigner.Mode mode = SdkSigner.Mode.chunked(signedChunks, signedChunks ? null : DefaultChecksumAlgorithm.CRC32);
        for (int declared : List.of(200_000, 200_001, 199_999)) {
            var signed = chunked(mode, null, Map.of("x-amz-decoded-content-length", List.of(Integer.toString(declared))));
            var accepted = accept(signed);
            byte[] body = encode(accepted, data, 64 * 1024, signedChunks);
            if (declared == data.length) {
                assertThat(readInSmallPieces(accepted.body(new ByteArrayInputStream(body)))).isEqualTo(data);
            } else {
                assertThat(failure(accepted, body).error()).as("declared %d", declared).isEqualTo(
                        declared > data.length ? S3ErrorCode.INCOMPLETE_BODY : S3ErrorCode.INVALID_REQUEST);
            }
        }
    }

    static Stream<Arguments> trailerModes() {
        return modes().filter(mode -> ((SdkSigner.Mode) mode.get()[1]).checksum() != null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trailerModes")
    void aWrongTrailingChecksumIsCaught(String name, SdkSigner.Mode mode) {
        var signed = chunked(mode, data(300_000), Map.of());
        var accepted = accept(signed);
        ChecksumAlgorithm sdkAlgorithm = mode.checksum();
        String header = "x-amz-checksum-" + sdkAlgorithm.algorithmId().toLowerCase(java.util.Locale.ROOT) + ":";
        byte[] body = signed.body().clone();
        int at = indexOf(body, header, 0) + header.length();
        assertThat(at).isGreaterThan(header.length());
        // Another well-formed value: the first base64 character changed.
        body[at] = (byte) (body[at] == 'A' ? 'B' : 'A');
        S3ErrorCode expected = mode.payloadSigning() ? S3ErrorCode.SIGNATURE_DOES_NOT_MATCH : S3ErrorCode.BAD_DIGEST;
        assertThat(failure(accepted, body).error()).isEqualTo(expected);
    }

    @Test
    void aTrailerSignedOverAWrongChecksumIsBadDigest() throws IOException {
        // Signed and consistent, but over a checksum that is not the data's: the client's own error.
        byte[] data = data(100_000);
        var signed = chunked(SdkSigner.Mode.chunked(true, DefaultChecksumAlgorithm.CRC32), data, Map.of());
        var accepted = accept(signed);
        String body = new String(signed.body(), StandardCharsets.ISO_8859_1);
        int at = body.indexOf("x-amz-checksum-crc32:");
        String wrong = "AAAAAA==";
        String prefix = body.substring(0, at);
        int lastChunk = prefix.lastIndexOf("0;chunk-signature=") + "0;chunk-signature=".length();
        String finalSignature = prefix.substring(lastChunk, lastChunk + 64);
        String trailer = "x-amz-checksum-crc32:" + wrong + "\n";
        String stringToSign = "AWS4-HMAC-SHA256-TRAILER\n" + accepted.timestamp() + "\n" + accepted.scope() + "\n"
                + finalSignature + "\n" + Crypto.sha256Hex(trailer);
        String forged = prefix + "x-amz-checksum-crc32:" + wrong + "\r\nx-amz-trailer-signature:"
                + accepted.signingKey().sign(stringToSign) + "\r\n\r\n";
        assertThat(failure(accepted, forged.getBytes(StandardCharsets.ISO_8859_1)).error())
                .isEqualTo(S3ErrorCode.BAD_DIGEST);
        assertThat(readInSmallPieces(accepted.body(new ByteArrayInputStream(signed.body())))).isEqualTo(data);
    }

    @Test
    void malformedFramingIsInvalid() {
        var signed = chunked(SdkSigner.Mode.chunked(true, null), data(70_000), Map.of());
        var accepted = accept(signed);
        byte[] lf = signed.body().clone();
        lf[indexOf(lf, "\r\n", 0) + 2 + 70_000] = '\n';
        assertThat(failure(accepted, lf).error()).isEqualTo(S3ErrorCode.INVALID_REQUEST);
        byte[] hex = signed.body().clone();
        hex[0] = 'g';
        assertThat(failure(accepted, hex).error()).isEqualTo(S3ErrorCode.INVALID_REQUEST);
        byte[] noSignature = new String(signed.body(), StandardCharsets.ISO_8859_1)
                .replaceFirst(";chunk-signature=", ";chunk-signaturX=").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(failure(accepted, noSignature).error()).isEqualTo(S3ErrorCode.INVALID_REQUEST);
    }

    @Test
    void aDeclaredChecksumHeaderIsCheckedOnAPlainBody() throws IOException {
        byte[] data = data(10_000);
        var digester = dev.arrow.services.objects.ChecksumAlgorithm.CRC32C.digester();
        digester.update(data, 0, data.length);
        String crc = Base64.getEncoder().encodeToString(digester.value());
        var signed = SdkSignerTest.SDK.sign(SdkSignerTest.WHEN, SdkSigner.Mode.header(false), "PUT", "/b/k",
                Map.of(), Map.of("x-amz-checksum-crc32c", List.of(crc)), data);
        var accepted = accept(signed);
        PayloadInputStream body = accepted.body(new ByteArrayInputStream(data));
        assertThat(body.readAllBytes()).isEqualTo(data);
        assertThat(body.checksums()).containsEntry(dev.arrow.services.objects.ChecksumAlgorithm.CRC32C, crc);
        byte[] other = data.clone();
        other[5] ^= 1;
        assertThat(failure(accepted, other).error()).isEqualTo(S3ErrorCode.BAD_DIGEST);
    }
}
