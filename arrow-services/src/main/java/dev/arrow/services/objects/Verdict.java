package dev.arrow.services.objects;

import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;

/** What {@link SignatureV4#verify} decides about a request. */
public sealed interface Verdict {

    /**
     * The signature is right: the request comes from {@code accessKeyId}. The body is not checked
     * yet: read it through {@link #body}.
     *
     * @param region             the region the client signed for, whatever it is (the listener decides)
     * @param signedAt           the request's time (x-amz-date, Date, or X-Amz-Date of a presigned URL)
     * @param declaredChecksums  the checksums the headers declare for the body (base64), checked by {@link #body}
     * @param seedSignature      the request's signature, from which chunk signatures are chained
     */
    record Accepted(String accessKeyId, String region, Instant signedAt, boolean presigned, Payload payload,
                    Map<ChecksumAlgorithm, String> declaredChecksums, SigningKey signingKey, String seedSignature)
            implements Verdict {

        private static final DateTimeFormatter TIMESTAMP =
                DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

        public Accepted {
            Objects.requireNonNull(accessKeyId);
            Objects.requireNonNull(region);
            Objects.requireNonNull(signedAt);
            Objects.requireNonNull(payload);
            declaredChecksums = Map.copyOf(declaredChecksums);
            Objects.requireNonNull(signingKey);
            Objects.requireNonNull(seedSignature);
        }

        /** The credential scope, {@code yyyyMMdd/region/s3/aws4_request}. */
        public String scope() {
            return timestamp().substring(0, 8) + "/" + region + "/" + SignatureV4.SERVICE + "/" + SignatureV4.TERMINATOR;
        }

        /** The request's time as SigV4 writes it, {@code yyyyMMdd'T'HHmmss'Z'}. */
        public String timestamp() {
            return TIMESTAMP.format(signedAt);
        }

        /**
         * The body as the object's bytes, checked as it streams: chunk signatures and framing of an
         * {@code aws-chunked} body, the declared length, the signed SHA-256, the declared and
         * trailing checksums. A failure is a {@link PayloadException}, at the latest instead of the
         * end of the stream: only a body read to its end (-1) without one is good.
         */
        public PayloadInputStream body(InputStream raw) {
            return new PayloadInputStream(raw, this);
        }
    }

    /** No signature at all (no Authorization header, no signing query parameters): the listener decides. */
    record Anonymous() implements Verdict {
    }

    /**
     * A refusal, as S3 would answer it: the code, its message, and the extra elements S3 puts in
     * the error document (e.g. the string to sign it expected), in order.
     */
    record Refused(S3ErrorCode error, String message, SequencedMap<String, String> details) implements Verdict {

        public Refused {
            Objects.requireNonNull(error);
            Objects.requireNonNull(message);
            details = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(details));
        }

        public Refused(S3ErrorCode error, String message) {
            this(error, message, new LinkedHashMap<>());
        }

        public int status() {
            return error.status();
        }
    }
}
