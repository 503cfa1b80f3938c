package dev.arrow.server.s3;

/** A refusal the S3 listener itself decides on (not the store's or the signature's): a status and S3's code. */
final class S3Error extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    S3Error(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    static S3Error invalidArgument(String message) {
        return new S3Error(400, "InvalidArgument", message);
    }

    static S3Error malformedXml() {
        return new S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against"
                + " our published schema");
    }

    static S3Error notImplemented(String what) {
        return new S3Error(501, "NotImplemented", "A header or query you provided implies functionality that is not"
                + " implemented: " + what);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}
