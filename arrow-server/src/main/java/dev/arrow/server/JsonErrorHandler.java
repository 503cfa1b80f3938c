package dev.arrow.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Errors Jetty raises itself (malformed requests, oversized headers) in the API's JSON shape. */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() > 0 ? response.getStatus() : 500;
        Object attribute = request.getAttribute(ERROR_STATUS);
        if (attribute instanceof Integer code) {
            status = code;
        }
        ErrorAnswer answer = ErrorAnswer.forStatus(status);
        Optional<String> field = Optional.empty();
        String message = answer.message();
        if (status == 400 && request.getAttribute(ERROR_MESSAGE) instanceof String reason && isPathViolation(reason)) {
            // Jetty's reason says which: "Ambiguous URI empty segment", "Suspicious Path Character", ...
            field = Optional.of("path");
            message = "the request's path is refused (" + reason.toLowerCase(Locale.ROOT) + "): a path takes no"
                    + " empty segment ('//'), encoded '/' (%2F), '.' spelled %2E, '\\' or control character, and is UTF-8";
        }
        ObjectNode body = ErrorAnswer.body(answer.code(), message, field, null);
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
        return true;
    }

    /** Jetty's reasons for a path its URI compliance refuses. */
    private static boolean isPathViolation(String reason) {
        return reason.startsWith("Ambiguous URI") || reason.equals("Suspicious Path Character")
                || reason.equals("Bad UTF-8 encoding");
    }
}
