package dev.arrow.cli.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** What a request sends: nothing, bytes in memory, or a file streamed from disk. */
public sealed interface RequestBody {

    /** Its length in bytes, sent as {@code Content-Length}. */
    long length() throws IOException;

    /** No body: {@code Content-Length: 0}. */
    static RequestBody empty() {
        return Bytes.EMPTY;
    }

    static RequestBody of(byte[] bytes) {
        return new Bytes(bytes);
    }

    static RequestBody of(String text) {
        return new Bytes(text.getBytes(StandardCharsets.UTF_8));
    }

    static RequestBody ofFile(Path file) {
        return new FileBody(file);
    }

    /** Bytes held in memory. */
    record Bytes(byte[] bytes) implements RequestBody {
        static final Bytes EMPTY = new Bytes(new byte[0]);

        public Bytes {
            Objects.requireNonNull(bytes, "bytes");
        }

        @Override
        public long length() {
            return bytes.length;
        }
    }

    /** A file, read as it is sent: an upload never sits in memory whole. */
    record FileBody(Path file) implements RequestBody {
        public FileBody {
            Objects.requireNonNull(file, "file");
        }

        @Override
        public long length() throws IOException {
            return Files.size(file);
        }
    }
}
