package dev.arrow.server.s3;

import dev.arrow.services.objects.ObjectService;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;

/** Sends an object's body as the response, through one direct buffer: read from the file, written to the socket. */
final class Bodies {

    /** Large enough that a GiB is a thousand writes, small enough that many downloads at once cost little. */
    static final int BUFFER = 1 << 20;

    private Bodies() {
    }

    /** Writes the content's bytes as the rest of the response, waiting for each write; the last one ends it. */
    static void send(ObjectService.Content content, Response response) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(BUFFER, Math.max(1, content.length())));
        long done = 0;
        long length = content.length();
        while (done < length) {
            buffer.clear();
            int n = content.read(buffer, done);
            if (n < 0) {
                throw new IOException("the object's body ended after " + done + " of its " + length + " bytes");
            }
            done += n;
            buffer.flip();
            try (Blocker.Callback written = Blocker.callback()) {
                response.write(done == length, buffer, written);
                written.block();
            }
        }
        if (length == 0) {
            try (Blocker.Callback written = Blocker.callback()) {
                response.write(true, null, written);
                written.block();
            }
        }
    }
}
