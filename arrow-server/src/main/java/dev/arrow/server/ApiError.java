package dev.arrow.server;

import java.util.Optional;

/** An HTTP-level refusal the platform does not know about (auth, method, media type, sizes). */
final class ApiError extends RuntimeException {

    private final int status;
    private final String code;
    private final Optional<String> field;

    ApiError(int status, String code, String message) {
        this(status, code, message, Optional.empty());
    }

    ApiError(int status, String code, String message, Optional<String> field) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    static ApiError invalid(String field, String message) {
        return new ApiError(400, "invalid_input", message, Optional.of(field));
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    Optional<String> field() {
        return field;
    }
}
