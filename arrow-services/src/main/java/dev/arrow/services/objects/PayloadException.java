package dev.arrow.services.objects;

import java.io.IOException;
import java.util.Objects;

/**
 * A request body that failed its checks while it was read: a chunk signature, the framing of
 * {@code aws-chunked}, the declared length, the payload hash or a checksum. Whatever was read
 * before it must be thrown away.
 */
public final class PayloadException extends IOException {

    private static final long serialVersionUID = 1L;

    private final S3ErrorCode error;

    public PayloadException(S3ErrorCode error, String message) {
        super(message);
        this.error = Objects.requireNonNull(error);
    }

    public S3ErrorCode error() {
        return error;
    }
}
