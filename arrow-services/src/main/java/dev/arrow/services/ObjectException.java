package dev.arrow.services;

/**
 * A refusal of an object store call that names no missing thing and no bad field: a bucket that
 * still holds objects, a range outside the object, a multipart upload's part list that does not
 * fit its parts. {@link #kind()} tells which; each has its own status and S3 error code.
 */
public final class ObjectException extends ServiceException {

    /** The kinds, with the HTTP status and S3's code for each. */
    public enum Kind {
        BUCKET_NOT_EMPTY(409, "BucketNotEmpty", "bucket_not_empty"),
        INVALID_RANGE(416, "InvalidRange", "range_not_satisfiable"),
        INVALID_PART(400, "InvalidPart", "invalid_part"),
        INVALID_PART_ORDER(400, "InvalidPartOrder", "invalid_part_order"),
        ENTITY_TOO_SMALL(400, "EntityTooSmall", "entity_too_small"),
        MALFORMED_PART_LIST(400, "MalformedXML", "invalid_input");

        private final int status;
        private final String s3Code;
        private final String apiCode;

        Kind(int status, String s3Code, String apiCode) {
            this.status = status;
            this.s3Code = s3Code;
            this.apiCode = apiCode;
        }

        public int status() {
            return status;
        }

        /** The code in an S3 error document, e.g. {@code BucketNotEmpty}. */
        public String s3Code() {
            return s3Code;
        }

        /** The code in a {@code /v1} JSON error, e.g. {@code bucket_not_empty}. */
        public String apiCode() {
            return apiCode;
        }
    }

    private final Kind kind;

    public ObjectException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
