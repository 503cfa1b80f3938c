package dev.arrow.runtime.runtimes;

import static dev.arrow.runtime.runtimes.BootstrapProcess.contentType;
import static dev.arrow.runtime.runtimes.BootstrapProcess.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What only arrow-shell-runtime (native/runtime/shell.c) does, as the node would run it, over real
 * HTTP: stdin and stdout, the environment, exit statuses, processes, the HTTP parser; what every
 * runtime does is in LanguageRuntimesIT.
 */
@Timeout(60)
class ShellRuntimeIT extends RuntimeFixture {

    private BootstrapProcess start(String script, String content) throws Exception {
        Path path = code.resolve(script);
        Files.createDirectories(path.getParent());
        Files.writeString(path, content);
        return BootstrapProcess.ready(LanguageRuntime.SHELL, runtimeDir, code, script);
    }

    @Test
    void theBodyIsStdinAndStdoutIsTheResponse() throws Exception {
        try (var shell = start("echo.sh", "cat\n")) {
            byte[] body = new byte[1 << 20]; // more than a pipe holds: stdin and stdout flow together
            new Random(7).nextBytes(body);
            HttpResponse<byte[]> response = shell.post(body);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(contentType(response)).isEqualTo("application/octet-stream");
            assertThat(response.body()).isEqualTo(body);

            HttpResponse<byte[]> empty = shell.post("");
            assertThat(empty.statusCode()).isEqualTo(200);
            assertThat(empty.body()).isEmpty();
        }
    }

    @Test
    void theRequestIsInTheEnvironmentWithTheInstances() throws Exception {
        try (var shell = start("bin/env.sh", """
                printf '%s\\n' "$ARROW_INVOCATION_ID" "$ARROW_DEADLINE_MS" "$ARROW_CONTENT_TYPE" \\
                    "$ARROW_METHOD" "$ARROW_PATH" "$ARROW_NAME" "$ARROW_REVISION" "$PORT" "$(pwd)"
                """)) {
            long deadline = System.currentTimeMillis() + 60_000;
            HttpResponse<byte[]> response = shell.post("{}", "Arrow-Invocation-Id", "inv-sh",
                    "Arrow-Deadline-Ms", Long.toString(deadline), "Content-Type", "application/json");
            assertThat(text(response)).isEqualTo(String.join("\n", "inv-sh", Long.toString(deadline),
                    "application/json", "POST", "/", "my-arrow", "r7", Integer.toString(shell.port),
                    code.toRealPath().toString()) + "\n");

            assertThat(text(shell.post(""))).as("absent headers are absent variables")
                    .startsWith("\n\n\nPOST\n/\nmy-arrow\n");
        }
    }

    @Test
    void onlyTheLastKibibyteOfStderrIsInTheMessage() throws Exception {
        try (var shell = start("long.sh", "head -c 5000 /dev/zero | tr '\\0' a >&2; echo END >&2; exit 1\n")) {
            String body = text(shell.post(""));
            String message = body.replaceAll(".*\"errorMessage\":\"([^\"]*)\".*", "$1");
            assertThat(message).startsWith("exit status 1: aaa").endsWith("aaaEND")
                    .hasSize("exit status 1: ".length() + 1023);
            assertThat(shell.stderr()).hasSize(5004);
        }
    }

    @Test
    void anExecutableScriptRunsWithItsShebangAndOtherScriptsWithSh() throws Exception {
        Path script = code.resolve("upper.py");
        Files.writeString(script, "#!/usr/bin/env python3\nimport sys\nsys.stdout.write(sys.stdin.read().upper())\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var shell = BootstrapProcess.ready(LanguageRuntime.SHELL, runtimeDir, code, "upper.py")) {
            assertThat(text(shell.post("hello"))).isEqualTo("HELLO");
        }
        Path noShebang = code.resolve("plain");
        Files.writeString(noShebang, "echo \"plain $0\"\n");
        Files.setPosixFilePermissions(noShebang, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var shell = BootstrapProcess.ready(LanguageRuntime.SHELL, runtimeDir, code, "plain")) {
            assertThat(text(shell.post(""))).isEqualTo("plain ./plain\n");
        }
    }

    @Test
    void aScriptPastItsDeadlineIsKilled() throws Exception {
        try (var shell = start("slow.sh", "echo slow >&2; sleep 30\n")) {
            long started = System.nanoTime();
            HttpResponse<byte[]> response = shell.post("", "Arrow-Deadline-Ms",
                    Long.toString(System.currentTimeMillis() + 300));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(text(response)).startsWith("{\"errorType\":\"DeadlineExceeded\"").contains("slow");
        }
    }

    @Test
    void backgroundProcessesDoNotHoldTheResponseNorOutliveIt() throws Exception {
        try (var shell = start("bg.sh", "sleep 30 &\necho $!\n")) {
            long started = System.nanoTime();
            HttpResponse<byte[]> response = shell.post("");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThat(response.statusCode()).isEqualTo(200);
            long pid = Long.parseLong(text(response).trim());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (running(pid) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(running(pid)).as("the background sleep was killed").isFalse();
        }
    }

    /** Alive and not a zombie (a killed orphan waits for whoever reaps orphans here). */
    private static boolean running(long pid) throws Exception {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return false;
        }
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException gone) {
            return false;
        }
    }

    @Test
    void garbageGetsA400AndTheServerServesTheNextConnection() throws Exception {
        try (var shell = start("echo.sh", "cat\n")) {
            for (String garbage : List.of("GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "POST / HTTP/1.1\r\nbad header\r\n\r\n",
                    "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    "\u0000\u0001\u0002\r\n\r\n")) {
                String answer = new String(shell.sendRaw(garbage.getBytes(StandardCharsets.ISO_8859_1)),
                        StandardCharsets.ISO_8859_1);
                assertThat(answer).as(garbage).startsWith("HTTP/1.1 400 ").contains("Connection: close\r\n");
            }
            String huge = "POST / HTTP/1.1\r\nX: " + "a".repeat(70_000) + "\r\n\r\n";
            assertThat(new String(shell.sendRaw(huge.getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1))
                    .startsWith("HTTP/1.1 431 ");
            String tooLarge = "POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n";
            assertThat(new String(shell.sendRaw(tooLarge.getBytes(StandardCharsets.ISO_8859_1)), StandardCharsets.ISO_8859_1))
                    .startsWith("HTTP/1.1 413 ");

            assertThat(text(shell.post("still here"))).isEqualTo("still here");
            assertThat(shell.process.isAlive()).isTrue();
        }
    }
}
