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

/** The node bootstrap, run by the host's /usr/bin/node as the node would run it, over real HTTP. */
@Timeout(60)
class NodeRuntimeIT {

    private static final String HANDLERS = """
            let count = 0;
            let waiting = null;
            const kind = (e) => (Buffer.isBuffer(e) ? 'Buffer' : e === null ? 'null' : typeof e);

            exports.echo = async (event) => ({ event, type: kind(event) });
            exports.kind = (event) => kind(event);
            exports.raw = (event) => event;
            exports.binary = async () => new Uint8Array(Array.from({ length: 256 }, (_, i) => i));
            exports.counter = () => ++count;
            exports.fail = (event) => {
              console.log('about to fail');
              throw new TypeError('kaboom: ' + event);
            };
            exports.reject = async (event) => {
              await new Promise((resolve) => setTimeout(resolve, 5));
              throw new RangeError('rejected: ' + event);
            };
            exports.circular = () => {
              const a = {};
              a.self = a;
              return a;
            };
            exports.undef = () => undefined;
            exports.ctx = async (event, context) => ({
              id: context.invocationId, aws: context.awsRequestId, name: context.functionName,
              version: context.functionVersion, memory: context.memoryLimitInMB,
              remaining: context.getRemainingTimeInMillis(),
            });
            exports.callback = (event, context, callback) => {
              setTimeout(() => callback(null, { cb: event }), 5);
            };
            exports.logs = (event) => {
              console.log('to stdout', event);
              console.error('to stderr', event);
              return 'ok';
            };
            exports.together = () => new Promise((resolve) => {
              if (waiting) {
                waiting('met');
                waiting = null;
                resolve('met');
              } else {
                waiting = resolve;
              }
            });
            exports.notAFunction = 42;
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
        Files.writeString(code.resolve("handlers.js"), HANDLERS);
    }

    private BootstrapProcess start(String handler) throws Exception {
        return BootstrapProcess.ready(LanguageRuntime.NODE, runtimeDir, code, handler);
    }

    @Test
    void jsonInJsonOut() throws Exception {
        try (var node = start("handlers.echo")) {
            HttpResponse<byte[]> response = node.post("{\"a\": [1, 2.5, \"x\"], \"b\": null}");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(contentType(response)).isEqualTo("application/json");
            assertThat(text(response)).isEqualTo("{\"event\":{\"a\":[1,2.5,\"x\"],\"b\":null},\"type\":\"object\"}");
        }
    }

    @Test
    void bytesOut() throws Exception {
        try (var node = start("handlers.binary")) {
            HttpResponse<byte[]> response = node.post("");
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
    void anEventThatIsNotJsonComesAsABuffer() throws Exception {
        try (var node = start("handlers.raw")) {
            byte[] notJson = {'n', 'o', 't', ' ', 'j', 's', 'o', 'n', 0, (byte) 0xff};
            HttpResponse<byte[]> response = node.post(notJson);
            assertThat(contentType(response)).isEqualTo("application/octet-stream");
            assertThat(response.body()).isEqualTo(notJson);
        }
        try (var node = start("handlers.kind")) {
            assertThat(text(node.post("hello"))).isEqualTo("\"Buffer\"");
            assertThat(text(node.post("\"hello\""))).isEqualTo("\"string\"");
            assertThat(text(node.post("42"))).isEqualTo("\"number\"");
            assertThat(text(node.post(new byte[] {'"', (byte) 0xff, '"'}))).isEqualTo("\"Buffer\"");
        }
    }

    @Test
    void anEmptyBodyIsNullAndUndefinedIsNull() throws Exception {
        try (var node = start("handlers.echo")) {
            assertThat(text(node.post(""))).isEqualTo("{\"event\":null,\"type\":\"null\"}");
        }
        try (var node = start("handlers.undef")) {
            HttpResponse<byte[]> response = node.post("1");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(text(response)).isEqualTo("null");
        }
    }

    @Test
    void aThrownErrorIsAnErrorResponseWithTheStackInTheLog() throws Exception {
        try (var node = start("handlers.fail")) {
            HttpResponse<byte[]> response = node.post("7", "Arrow-Invocation-Id", "inv-42");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Arrow-Error")).hasValue("unhandled");
            assertThat(contentType(response)).isEqualTo("application/json");
            assertThat(text(response))
                    .startsWith("{\"errorType\":\"TypeError\",\"errorMessage\":\"kaboom: 7\",\"stackTrace\":[\"at ")
                    .contains("handlers.js")
                    .doesNotContain("bootstrap.js");
            assertThat(node.stderr()).contains("inv-42 TypeError: kaboom: 7\n", "inv-42     at ");
            assertThat(node.stdout()).contains("about to fail\n");
            assertThat(node.post("8").statusCode()).as("the instance survives").isEqualTo(500);
        }
    }

    @Test
    void aRejectedPromiseIsAnErrorResponse() throws Exception {
        try (var node = start("handlers.reject")) {
            HttpResponse<byte[]> response = node.post("\"x\"", "Arrow-Invocation-Id", "inv-r");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Arrow-Error")).hasValue("unhandled");
            assertThat(text(response)).startsWith("{\"errorType\":\"RangeError\",\"errorMessage\":\"rejected: x\"");
            assertThat(node.stderr()).contains("inv-r RangeError: rejected: x\n");
        }
    }

    @Test
    void aResultThatIsNotJsonIsAnError() throws Exception {
        try (var node = start("handlers.circular")) {
            HttpResponse<byte[]> response = node.post("");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(text(response)).contains("\"errorType\":\"TypeError\"", "circular structure");
        }
    }

    @Test
    void moduleStatePersistsAcrossInvocations() throws Exception {
        try (var node = start("handlers.counter")) {
            assertThat(List.of(text(node.post("")), text(node.post("")), text(node.post(""))))
                    .containsExactly("1", "2", "3");
        }
    }

    @Test
    void esModulesNestedExportsAndCallbacks() throws Exception {
        Files.writeString(code.resolve("esm.mjs"), "export const handler = async (event) => ({ esm: event });\n");
        Files.createDirectories(code.resolve("lib"));
        Files.writeString(code.resolve("lib/api.cjs"), "module.exports = { v1: { get: () => 'nested' } };\n");
        try (var node = start("esm.handler")) {
            assertThat(text(node.post("1"))).isEqualTo("{\"esm\":1}");
        }
        try (var node = start("lib/api.v1.get")) {
            assertThat(text(node.post(""))).isEqualTo("\"nested\"");
        }
        try (var node = start("handlers.callback")) {
            assertThat(text(node.post("2"))).isEqualTo("{\"cb\":2}");
        }
    }

    @Test
    void theContextCarriesTheInvocationAndTheArrow() throws Exception {
        try (var node = start("handlers.ctx")) {
            long deadline = System.currentTimeMillis() + 10_000;
            String body = text(node.post("", "Arrow-Invocation-Id", "inv-ctx", "Arrow-Deadline-Ms",
                    Long.toString(deadline)));
            assertThat(body).startsWith("{\"id\":\"inv-ctx\",\"aws\":\"inv-ctx\",\"name\":\"my-arrow\","
                    + "\"version\":\"r7\",\"memory\":128,\"remaining\":");
            long remaining = Long.parseLong(body.replaceAll(".*\"remaining\":(\\d+)}", "$1"));
            assertThat(remaining).isBetween(5_000L, 10_000L);

            assertThat(text(node.post(""))).endsWith("\"remaining\":2147483647}");
        }
    }

    @Test
    void outputOfTheHandlerIsInTheLogsRightAfterTheInvocation() throws Exception {
        try (var node = start("handlers.logs")) {
            assertThat(text(node.post("\"x1\""))).isEqualTo("\"ok\"");
            assertThat(node.stdout()).isEqualTo("to stdout x1\n");
            assertThat(node.stderr()).isEqualTo("to stderr x1\n");
        }
    }

    @Test
    void aBadHandlerEndsTheProcessBeforeItListens() throws Exception {
        Files.writeString(code.resolve("broken.js"), "exports.handler = function (event {\n");
        Files.writeString(code.resolve("throws.js"), "throw new Error('at load');\n");
        Map<String, String> expected = Map.of(
                "nope.handler", "cannot find module 'nope' (tried nope.js, nope.mjs, nope.cjs in ",
                "handlers.nope", "handler 'handlers.nope': handlers exports no 'nope'",
                "broken.handler", "SyntaxError",
                "throws.handler", "Error: at load",
                "handlers.notAFunction", "handlers exports a number as 'notAFunction', not a function");
        for (Map.Entry<String, String> bad : expected.entrySet()) {
            try (var node = BootstrapProcess.start(LanguageRuntime.NODE, runtimeDir, code, bad.getKey(), Map.of())) {
                assertThat(node.awaitReady(Duration.ofSeconds(20))).as(bad.getKey()).isFalse();
                assertThat(node.awaitExit(Duration.ofSeconds(10))).as(bad.getKey()).isEqualTo(1);
                assertThat(node.stderr()).as(bad.getKey()).contains(bad.getValue());
            }
        }
    }

    @Test
    void keepAliveServesFiftyRequestsOnOneConnection() throws Exception {
        try (var node = start("handlers.counter")) {
            List<BootstrapProcess.RawResponse> responses = node.onOneConnection(
                    IntStream.range(0, 50).mapToObj(i -> new byte[0]).toList());
            assertThat(responses).extracting(BootstrapProcess.RawResponse::text)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 50).mapToObj(Integer::toString).toList());
            assertThat(responses).allSatisfy(r -> assertThat(r.headers().get("connection")).isNotEqualTo("close"));
        }
    }

    @Test
    void aChunkedRequestBodyIsTheEvent() throws Exception {
        try (var node = start("handlers.echo")) {
            byte[] body = "[1, 2, 3]".getBytes(StandardCharsets.UTF_8);
            HttpRequest request = node.request(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
            HttpResponse<byte[]> response = node.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
            assertThat(text(response)).isEqualTo("{\"event\":[1,2,3],\"type\":\"object\"}");
        }
    }

    @Test
    void asyncInvocationsRunConcurrently() throws Exception {
        try (var node = start("handlers.together")) {
            List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                calls.add(node.client().sendAsync(node.request(HttpRequest.BodyPublishers.noBody()),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (var call : calls) {
                assertThat(text(call.get())).isEqualTo("\"met\"");
            }
        }
    }
}
