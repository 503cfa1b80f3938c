package dev.arrow.runtime.runtimes;

import static dev.arrow.runtime.runtimes.BootstrapProcess.contentType;
import static dev.arrow.runtime.runtimes.BootstrapProcess.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The python3 bootstrap, run by the host's /usr/bin/python3 as the node would run it, over real HTTP. */
@Timeout(60)
class PythonRuntimeIT {

    private static final String HANDLERS = """
            import sys
            import threading

            count = 0
            barrier = threading.Barrier(2, timeout=10)

            def echo(event, context):
                return {"event": event, "type": type(event).__name__}

            def kind(event, context):
                return type(event).__name__

            def raw(event, context):
                return event

            def binary(event, context):
                return bytes(range(256))

            def counter(event, context):
                global count
                count += 1
                return count

            def fail(event, context):
                print("about to fail")
                raise ValueError("kaboom: %s" % event)

            def unserializable(event, context):
                return {1, 2}

            def ctx(event, context):
                return {"id": context.invocation_id, "aws": context.aws_request_id,
                        "name": context.function_name, "version": context.function_version,
                        "memory": context.memory_limit_in_mb, "remaining": context.get_remaining_time_in_millis()}

            def logs(event, context):
                print("to stdout", event)
                print("to stderr", event, file=sys.stderr)
                return "ok"

            def together(event, context):
                barrier.wait()
                return "met"

            not_a_function = 42
            """;

    @TempDir
    static Path runtimes;
    private static Path runtimeDir;

    @TempDir
    Path code;

    @BeforeAll
    static void install() throws Exception {
        runtimeDir = Runtimes.install(runtimes);
    }

    @BeforeEach
    void writeCode() throws Exception {
        Files.writeString(code.resolve("handlers.py"), HANDLERS);
    }

    private BootstrapProcess start(String handler) throws Exception {
        return BootstrapProcess.ready(LanguageRuntime.PYTHON3, runtimeDir, code, handler);
    }

    @Test
    void jsonInJsonOut() throws Exception {
        try (var python = start("handlers.echo")) {
            HttpResponse<byte[]> response = python.post("{\"a\": [1, 2.5, \"x\"], \"b\": null}",
                    "Content-Type", "application/json");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(contentType(response)).isEqualTo("application/json");
            assertThat(text(response)).isEqualTo("{\"event\": {\"a\": [1, 2.5, \"x\"], \"b\": null}, \"type\": \"dict\"}");
        }
    }

    @Test
    void bytesOut() throws Exception {
        try (var python = start("handlers.binary")) {
            HttpResponse<byte[]> response = python.post("");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(contentType(response)).isEqualTo("application/octet-stream");
            byte[] expected = new byte[256];
            for (int i = 0; i < 256; i++) {
                expected[i] = (byte) i;
            }
            assertThat(response.body()).isEqualTo(expected);
        }
    }

    @Test
    void anEventThatIsNotJsonComesAsRawBytes() throws Exception {
        try (var python = start("handlers.raw")) {
            byte[] notJson = {'n', 'o', 't', ' ', 'j', 's', 'o', 'n', 0, (byte) 0xff};
            HttpResponse<byte[]> response = python.post(notJson);
            assertThat(contentType(response)).isEqualTo("application/octet-stream");
            assertThat(response.body()).isEqualTo(notJson);
        }
        try (var python = start("handlers.kind")) {
            assertThat(text(python.post("hello"))).isEqualTo("\"bytes\"");
            assertThat(text(python.post("\"hello\""))).isEqualTo("\"str\"");
            assertThat(text(python.post("42"))).isEqualTo("\"int\"");
            assertThat(text(python.post("NaN"))).isEqualTo("\"bytes\"");
            assertThat(text(python.post(new byte[] {'"', (byte) 0xff, '"'}))).isEqualTo("\"bytes\"");
        }
    }

    @Test
    void anEmptyBodyIsNone() throws Exception {
        try (var python = start("handlers.echo")) {
            assertThat(text(python.post(""))).isEqualTo("{\"event\": null, \"type\": \"NoneType\"}");
        }
    }

    @Test
    void anExceptionIsAnErrorResponseWithTheTracebackInTheLog() throws Exception {
        try (var python = start("handlers.fail")) {
            HttpResponse<byte[]> response = python.post("7", "Arrow-Invocation-Id", "inv-42");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Arrow-Error")).hasValue("unhandled");
            assertThat(contentType(response)).isEqualTo("application/json");
            assertThat(text(response))
                    .startsWith("{\"errorType\": \"ValueError\", \"errorMessage\": \"kaboom: 7\", \"stackTrace\": [")
                    .contains("handlers.py", "in fail")
                    .doesNotContain("bootstrap.py");
            assertThat(python.stderr())
                    .contains("inv-42 Traceback (most recent call last):\n")
                    .contains("inv-42 ValueError: kaboom: 7\n");
            assertThat(python.stdout()).contains("about to fail\n");

            assertThat(python.post("8").statusCode()).as("the instance survives").isEqualTo(500);
            assertThat(python.process.isAlive()).isTrue();
        }
    }

    @Test
    void aResultThatIsNotJsonIsAnError() throws Exception {
        try (var python = start("handlers.unserializable")) {
            HttpResponse<byte[]> response = python.post("");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Arrow-Error")).hasValue("unhandled");
            assertThat(text(response)).contains("\"errorType\": \"TypeError\"", "not JSON serializable");
        }
    }

    @Test
    void moduleStatePersistsAcrossInvocations() throws Exception {
        try (var python = start("handlers.counter")) {
            assertThat(List.of(text(python.post("")), text(python.post("")), text(python.post(""))))
                    .containsExactly("1", "2", "3");
        }
    }

    @Test
    void aDottedModuleInAPackageImportsFromTheCodeDirectory() throws Exception {
        Files.createDirectories(code.resolve("pkg/sub"));
        Files.writeString(code.resolve("pkg/__init__.py"), "");
        Files.writeString(code.resolve("pkg/sub/__init__.py"), "");
        Files.writeString(code.resolve("helper.py"), "VALUE = 'from helper'\n");
        Files.writeString(code.resolve("pkg/sub/mod.py"), """
                from helper import VALUE
                def handle(event, context):
                    return [__name__, VALUE]
                """);
        try (var python = start("pkg.sub.mod.handle")) {
            assertThat(text(python.post(""))).isEqualTo("[\"pkg.sub.mod\", \"from helper\"]");
        }
    }

    @Test
    void theContextCarriesTheInvocationAndTheArrow() throws Exception {
        try (var python = start("handlers.ctx")) {
            long deadline = System.currentTimeMillis() + 10_000;
            String body = text(python.post("", "Arrow-Invocation-Id", "inv-ctx", "Arrow-Deadline-Ms",
                    Long.toString(deadline)));
            assertThat(body).startsWith("{\"id\": \"inv-ctx\", \"aws\": \"inv-ctx\", \"name\": \"my-arrow\", "
                    + "\"version\": \"r7\", \"memory\": 128, \"remaining\": ");
            long remaining = Long.parseLong(body.replaceAll(".*\"remaining\": (\\d+)}", "$1"));
            assertThat(remaining).isBetween(5_000L, 10_000L);

            assertThat(text(python.post(""))).endsWith("\"remaining\": 2147483647}");
        }
    }

    @Test
    void outputOfTheHandlerIsInTheLogsRightAfterTheInvocation() throws Exception {
        try (var python = start("handlers.logs")) {
            assertThat(text(python.post("\"x1\""))).isEqualTo("\"ok\"");
            assertThat(python.stdout()).isEqualTo("to stdout x1\n");
            assertThat(python.stderr()).isEqualTo("to stderr x1\n");
        }
    }

    @Test
    void aBadHandlerEndsTheProcessBeforeItListens() throws Exception {
        Files.writeString(code.resolve("broken.py"), "def handler(event, context)\n    return 1\n");
        Files.writeString(code.resolve("raises.py"), "raise RuntimeError('at import')\n");
        Map<String, String> expected = Map.of(
                "nope.handler", "No module named 'nope'",
                "handlers.nope", "handler 'handlers.nope': module 'handlers' has no attribute 'nope'",
                "broken.handler", "SyntaxError",
                "raises.handler", "RuntimeError: at import",
                "handlers.not_a_function", "'not_a_function' is a int, not a function");
        for (Map.Entry<String, String> bad : expected.entrySet()) {
            try (var python = BootstrapProcess.start(LanguageRuntime.PYTHON3, runtimeDir, code, bad.getKey(), Map.of())) {
                assertThat(python.awaitReady(Duration.ofSeconds(20))).as(bad.getKey()).isFalse();
                assertThat(python.awaitExit(Duration.ofSeconds(10))).as(bad.getKey()).isEqualTo(1);
                assertThat(python.stderr()).as(bad.getKey()).contains(bad.getValue());
            }
        }
    }

    @Test
    void keepAliveServesFiftyRequestsOnOneConnection() throws Exception {
        try (var python = start("handlers.counter")) {
            List<BootstrapProcess.RawResponse> responses = python.onOneConnection(
                    IntStream.range(0, 50).mapToObj(i -> new byte[0]).toList());
            assertThat(responses).extracting(BootstrapProcess.RawResponse::text)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 50).mapToObj(Integer::toString).toList());
            assertThat(responses).allSatisfy(r -> assertThat(r.headers()).doesNotContainKey("connection"));
        }
    }

    @Test
    void aChunkedRequestBodyIsTheEvent() throws Exception {
        try (var python = start("handlers.echo")) {
            byte[] body = "[1, 2, 3]".getBytes(StandardCharsets.UTF_8);
            HttpRequest request = python.request(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
            HttpResponse<byte[]> response = python.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
            assertThat(text(response)).isEqualTo("{\"event\": [1, 2, 3], \"type\": \"list\"}");
        }
    }

    @Test
    void invocationsRunConcurrently() throws Exception {
        try (var python = start("handlers.together")) {
            List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                calls.add(python.client().sendAsync(python.request(HttpRequest.BodyPublishers.noBody()),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (var call : calls) {
                assertThat(text(call.get())).isEqualTo("\"met\"");
            }
        }
    }
}
