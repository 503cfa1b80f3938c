package dev.arrow.cli;

import dev.arrow.cli.client.RequestBody;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Arguments that carry data: the value itself, {@code @FILE} (a file's bytes) or {@code -} (arrow's stdin). */
final class Inputs {

    private Inputs() {
    }

    /** Refuses a size, naming where the bytes came from ({@code what}). */
    @FunctionalInterface
    interface SizeCheck {
        void check(long bytes, String what) throws CliException;
    }

    /**
     * The bytes {@code value} stands for, checked by {@code check} before they are sent: stdin is read
     * to at most {@code max + 1} bytes, so that one byte too many is seen without reading it all.
     */
    static RequestBody body(String value, String label, CliContext context, int max, SizeCheck check)
            throws IOException, CliException {
        if (value.equals("-")) {
            byte[] bytes = context.in().readNBytes(max + 1);
            check.check(bytes.length, "stdin");
            return RequestBody.of(bytes);
        }
        if (value.startsWith("@")) {
            Path file = Path.of(value.substring(1));
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw CliException.usage(value + ": " + file + " is not a readable file");
            }
            check.check(Files.size(file), file.toString());
            return RequestBody.ofFile(file);
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        check.check(bytes.length, label);
        return RequestBody.of(bytes);
    }
}
