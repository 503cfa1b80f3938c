package dev.arrow.services.objects;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * A request body as the object's bytes, checked as it is read (see {@link Verdict.Accepted#body}).
 * Memory stays constant whatever the size. Bytes come out before the checks that cover them can
 * finish (a chunk's signature is known at the chunk's end, a checksum at the body's end), so a
 * reader keeps nothing until it has read -1 without a {@link PayloadException}; after one, every
 * read throws it again.
 */
public final class PayloadInputStream extends InputStream {

    private final InputStream source;
    private final AwsChunkedInputStream chunked;
    private final MessageDigest sha256;
    private final byte[] expectedSha256;
    private final Map<ChecksumAlgorithm, ChecksumAlgorithm.Digester> digesters = new EnumMap<>(ChecksumAlgorithm.class);
    private final Map<ChecksumAlgorithm, String> declared;
    private final Map<ChecksumAlgorithm, String> verified = new EnumMap<>(ChecksumAlgorithm.class);
    private PayloadException failure;
    private boolean ended;

    PayloadInputStream(InputStream raw, Verdict.Accepted accepted) {
        Objects.requireNonNull(raw);
        declared = accepted.declaredChecksums();
        declared.keySet().forEach(algorithm -> digesters.put(algorithm, algorithm.digester()));
        switch (accepted.payload()) {
            case Payload.Sha256 sha -> {
                chunked = null;
                source = raw;
                sha256 = Crypto.sha256();
                expectedSha256 = HexFormat.of().parseHex(sha.hex());
            }
            case Payload.Unsigned unsigned -> {
                chunked = null;
                source = raw;
                sha256 = null;
                expectedSha256 = null;
            }
            case Payload.SignedChunks signed -> {
                chunked = AwsChunkedInputStream.signed(raw, signed, accepted);
                source = chunked;
                sha256 = null;
                expectedSha256 = null;
            }
            case Payload.UnsignedChunks unsigned -> {
                chunked = AwsChunkedInputStream.unsigned(raw, unsigned);
                source = chunked;
                sha256 = null;
                expectedSha256 = null;
            }
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (failure != null) {
            throw failure;
        }
        if (ended) {
            return -1;
        }
        if (length == 0) {
            return 0;
        }
        int n;
        try {
            n = source.read(bytes, offset, length);
            if (n < 0) {
                end();
                return -1;
            }
        } catch (PayloadException e) {
            failure = e;
            throw e;
        }
        if (sha256 != null) {
            sha256.update(bytes, offset, n);
        }
        for (ChecksumAlgorithm.Digester digester : digesters.values()) {
            digester.update(bytes, offset, n);
        }
        return n;
    }

    private void end() throws PayloadException {
        if (sha256 != null && !MessageDigest.isEqual(sha256.digest(), expectedSha256)) {
            throw fail(S3ErrorCode.X_AMZ_CONTENT_SHA256_MISMATCH,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        for (var entry : digesters.entrySet()) {
            ChecksumAlgorithm algorithm = entry.getKey();
            byte[] computed = entry.getValue().value();
            byte[] claimed = SignatureV4.decodeChecksum(declared.get(algorithm), algorithm).orElseThrow();
            if (!MessageDigest.isEqual(computed, claimed)) {
                throw fail(S3ErrorCode.BAD_DIGEST, algorithm == ChecksumAlgorithm.MD5
                        ? "The Content-MD5 you specified did not match what we received."
                        : "The " + algorithm.name() + " you specified did not match the calculated checksum.");
            }
            verified.put(algorithm, Base64.getEncoder().encodeToString(computed));
        }
        if (chunked != null) {
            chunked.trailingChecksum().ifPresent(checksum -> verified.put(checksum.algorithm(), checksum.base64()));
        }
        ended = true;
    }

    private PayloadException fail(S3ErrorCode error, String message) {
        failure = new PayloadException(error, message);
        return failure;
    }

    /**
     * The body's checksums, each checked against what the client declared in a header or a
     * trailing header, in base64; empty until the body was read to its end.
     */
    public Map<ChecksumAlgorithm, String> checksums() {
        return Collections.unmodifiableMap(verified);
    }

    @Override
    public void close() throws IOException {
        source.close();
    }
}
