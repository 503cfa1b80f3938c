package dev.arrow.services.objects;

import java.util.Optional;

/**
 * How a request's body is vouched for, from its {@code x-amz-content-sha256} header (a presigned
 * URL without that header is {@link Unsigned}). {@link Verdict.Accepted#body} checks the body
 * accordingly as it streams.
 */
public sealed interface Payload {

    String UNSIGNED = "UNSIGNED-PAYLOAD";
    String STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    String STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    String STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    /** The value of {@code x-amz-content-sha256} that names this kind (the hash itself for {@link Sha256}). */
    String contentSha256();

    /** The body's SHA-256, signed with the request: the body must hash to it. */
    record Sha256(String hex) implements Payload {
        @Override
        public String contentSha256() {
            return hex;
        }
    }

    /** The body is not signed (its checksums, if declared, are still checked). */
    record Unsigned() implements Payload {
        @Override
        public String contentSha256() {
            return UNSIGNED;
        }
    }

    /**
     * An {@code aws-chunked} body whose every chunk is signed, chained from the request's signature;
     * with {@code signedTrailer}, trailing headers (the checksum named in {@code x-amz-trailer}, if
     * any) and their signature follow the last chunk.
     */
    record SignedChunks(long decodedLength, boolean signedTrailer, Optional<ChecksumAlgorithm> trailer)
            implements Payload {
        @Override
        public String contentSha256() {
            return signedTrailer ? STREAMING_SIGNED_TRAILER : STREAMING_SIGNED;
        }
    }

    /** An {@code aws-chunked} body whose chunks are not signed, ended by a trailing checksum. */
    record UnsignedChunks(long decodedLength, Optional<ChecksumAlgorithm> trailer) implements Payload {
        @Override
        public String contentSha256() {
            return STREAMING_UNSIGNED_TRAILER;
        }
    }
}
