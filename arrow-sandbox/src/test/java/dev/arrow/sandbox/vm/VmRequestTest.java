package dev.arrow.sandbox.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VmRequestTest {

    @Test
    void aLengthThenNulTerminatedFields() {
        SandboxSpec spec = SandboxSpec.builder("sh", "-c", "echo hi")
                .user(1000, 1001)
                .workdir("/code")
                .mount(Mount.readOnly(Path.of("/srv/app"), "/code"))
                .mount(Mount.writable(Path.of("/srv/data"), "/data"))
                .readyPort(8080)
                .network(dev.arrow.sandbox.NetworkPolicy.HOST)
                .build();

        byte[] request = VmRequest.encode(spec);

        int length = ByteBuffer.wrap(request).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertThat(length).isEqualTo(request.length - 4);
        assertThat(request[request.length - 1]).isZero();
        List<String> fields = Arrays.asList(new String(request, 4, length - 1, StandardCharsets.UTF_8).split("\0", -1));
        assertThat(fields).containsExactly("arrow-vm-1", "1000", "1001", "/code", "arrow", Long.toString(64L << 20), "1024",
                "3", "sh", "-c", "echo hi",
                "2", "PATH=" + SandboxSpec.DEFAULT_PATH, "HOME=/tmp",
                "2", "m0", "/code", "0", "m1", "/data", "1",
                "8080", "host");
        assertThat(VmRequest.encode(SandboxSpec.builder("true").build())).endsWith("0\0none\0".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theGuestsResultLine() {
        assertThat(GuestResult.parse("result exited 3 0 1000 2000 4096 - \n"))
                .isEqualTo(new GuestResult(new Outcome.Exited(3), Duration.ofNanos(1000), Duration.ofNanos(2000), 4096));
        assertThat(GuestResult.parse("result signaled 0 15 0 0 0 - ").outcome()).isEqualTo(new Outcome.Signaled(15));
        assertThat(GuestResult.parse("result out-of-memory 0 9 5 6 7 - ").outcome()).isEqualTo(new Outcome.OutOfMemory());
        assertThat(GuestResult.parse("result failed-to-start 0 0 0 0 0 command-not-found nope: No such file or directory").outcome())
                .isEqualTo(new Outcome.FailedToStart("command-not-found", "nope: No such file or directory"));
    }
}
