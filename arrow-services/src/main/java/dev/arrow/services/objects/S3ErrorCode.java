package dev.arrow.services.objects;

/** The S3 error codes a signature check or a body check can end in, with the HTTP status S3 gives each. */
public enum S3ErrorCode {
    ACCESS_DENIED("AccessDenied", 403),
    SIGNATURE_DOES_NOT_MATCH("SignatureDoesNotMatch", 403),
    INVALID_ACCESS_KEY_ID("InvalidAccessKeyId", 403),
    REQUEST_TIME_TOO_SKEWED("RequestTimeTooSkewed", 403),
    AUTHORIZATION_HEADER_MALFORMED("AuthorizationHeaderMalformed", 400),
    AUTHORIZATION_QUERY_PARAMETERS_ERROR("AuthorizationQueryParametersError", 400),
    MISSING_SECURITY_HEADER("MissingSecurityHeader", 400),
    INVALID_ARGUMENT("InvalidArgument", 400),
    INVALID_REQUEST("InvalidRequest", 400),
    INVALID_TOKEN("InvalidToken", 400),
    INVALID_URI("InvalidURI", 400),
    INVALID_DIGEST("InvalidDigest", 400),
    MISSING_CONTENT_LENGTH("MissingContentLength", 411),
    INCOMPLETE_BODY("IncompleteBody", 400),
    X_AMZ_CONTENT_SHA256_MISMATCH("XAmzContentSHA256Mismatch", 400),
    BAD_DIGEST("BadDigest", 400),
    MALFORMED_TRAILER_ERROR("MalformedTrailerError", 400);

    private final String code;
    private final int status;

    S3ErrorCode(String code, int status) {
        this.code = code;
        this.status = status;
    }

    /** The code as S3 writes it in an error document, e.g. {@code SignatureDoesNotMatch}. */
    public String code() {
        return code;
    }

    public int status() {
        return status;
    }
}
