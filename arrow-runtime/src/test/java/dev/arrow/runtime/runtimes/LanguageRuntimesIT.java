package dev.arrow.runtime.runtimes;

import static dev.arrow.runtime.runtimes.BootstrapProcess.contentType;
import static dev.arrow.runtime.runtimes.BootstrapProcess.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every bootstrap does the same way, run against each by the host's interpreter as the node
 * would run it, over real HTTP. Each language writes the same handlers (echo, raw, binary, fail,
 * logs, together, ...) in its own way; what only one runtime does is in its own IT.
 */
@Timeout(60)
class LanguageRuntimesIT extends RuntimeFixture {

    private static final String PYTHON_HANDLERS = """
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

    private static final String NODE_HANDLERS = """
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
            exports.unserializable = () => {
              const a = {};
              a.self = a;
              return a;
            };
            exports.ctx = async (event, context) => ({
              id: context.invocationId, aws: context.awsRequestId, name: context.functionName,
              version: context.functionVersion, memory: context.memoryLimitInMB,
              remaining: context.getRemainingTimeInMillis(),
            });
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

    /** One script per handler: the body is stdin, stdout the response, so "JSON" out is printed. */
    private static final Map<String, String> SHELL_SCRIPTS = Map.of(
            "echo.sh", "cat\n",
            "raw.sh", "cat\n",
            // every byte as a three-digit octal escape: printf's format knows no other way to a NUL
            "binary.sh", IntStream.range(0, 256).mapToObj(i -> String.format("\\%03o", i))
                    .collect(Collectors.joining("", "printf '", "'\n")),
            "fail.sh", """
                    echo starting >&2
                    echo partial output
                    printf 'bad "thing"\\thappened\\n' >&2
                    exit 3
                    """,
            "logs.sh", """
                    event=$(tr -d '"')
                    echo "to stderr $event" >&2
                    printf '"ok"'
                    """,
            // each request waits for the other's mark: both succeed only when they run at the same time
            "together.sh", """
                    me=$(cat)
                    if [ "$me" = A ]; then other=B; else other=A; fi
                    touch "$me"
                    i=0
                    while [ ! -e "$other" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
                    [ -e "$other" ] && printf '"met"'
                    """);

    /** What an unhandled error looks like: the body's start, what else it holds, and the logs. */
    record Failure(String bodyStart, List<String> inBody, List<String> inStderr, List<String> inStdout) {
    }

    /** A runtime with the handlers above and what it answers; null where the runtime has no such thing. */
    enum Language {
        PYTHON3(LanguageRuntime.PYTHON3, "handlers.", "",
                Map.of("handlers.py", PYTHON_HANDLERS,
                        "broken.py", "def handler(event, context)\n    return 1\n",
                        "raises.py", "raise RuntimeError('at import')\n"),
                Map.of("object", "dict", "list", "list", "null", "NoneType", "bytes", "bytes", "string", "str",
                        "number", "int"),
                new Failure("{\"errorType\": \"ValueError\", \"errorMessage\": \"kaboom: 7\", \"stackTrace\": [",
                        List.of("handlers.py", "in fail"),
                        List.of("inv-42 Traceback (most recent call last):\n", "inv-42 ValueError: kaboom: 7\n"),
                        List.of("about to fail\n")),
                "not JSON serializable", "to stdout x1\n", null,
                Map.of("nope.handler", "No module named 'nope'",
                        "handlers.nope", "handler 'handlers.nope': module 'handlers' has no attribute 'nope'",
                        "broken.handler", "SyntaxError",
                        "raises.handler", "RuntimeError: at import",
                        "handlers.not_a_function", "'not_a_function' is a int, not a function")),
        NODE(LanguageRuntime.NODE, "handlers.", "",
                Map.of("handlers.js", NODE_HANDLERS,
                        "broken.js", "exports.handler = function (event {\n",
                        "throws.js", "throw new Error('at load');\n"),
                Map.of("object", "object", "list", "object", "null", "null", "bytes", "Buffer", "string", "string",
                        "number", "number"),
                new Failure("{\"errorType\":\"TypeError\",\"errorMessage\":\"kaboom: 7\",\"stackTrace\":[\"at ",
                        List.of("handlers.js"),
                        List.of("inv-42 TypeError: kaboom: 7\n", "inv-42     at "),
                        List.of("about to fail\n")),
                "circular structure", "to stdout x1\n", "keep-alive",
                Map.of("nope.handler", "cannot find module 'nope' (tried nope.js, nope.mjs, nope.cjs in ",
                        "handlers.nope", "handler 'handlers.nope': handlers exports no 'nope'",
                        "broken.handler", "SyntaxError",
                        "throws.handler", "Error: at load",
                        "handlers.notAFunction", "handlers exports a number as 'notAFunction', not a function")),
        // a script's exit status is its error and the tail of its stderr the message; no stack
        SHELL(LanguageRuntime.SHELL, "", ".sh", SHELL_SCRIPTS, null,
                new Failure("{\"errorType\":\"ExitStatus\","
                        + "\"errorMessage\":\"exit status 3: starting\\nbad \\\"thing\\\"\\thappened\",\"stackTrace\":[]}",
                        List.of(), List.of("starting\nbad \"thing\"\thappened\n"), List.of()),
                null, "", null,
                Map.of("nope.sh", "cannot load handler 'nope.sh': No such file or directory"));

        final LanguageRuntime runtime;
        private final String handlerPrefix;
        private final String handlerSuffix;
        final Map<String, String> files;
        /** The handlers' `kind` of an event, by a neutral name. */
        private final Map<String, String> types;
        final Failure failure;
        /** What the runtime says of a result it cannot serialize. */
        final String unserializable;
        /** The `logs` handler's stdout: a script's stdout is its response. */
        final String logStdout;
        /** The Connection header of a kept-alive response, null for none. */
        final String keepAlive;
        /** Handlers that cannot load, and what stderr then says. */
        final Map<String, String> badHandlers;

        Language(LanguageRuntime runtime, String handlerPrefix, String handlerSuffix, Map<String, String> files,
                Map<String, String> types, Failure failure, String unserializable, String logStdout,
                String keepAlive, Map<String, String> badHandlers) {
            this.runtime = runtime;
            this.handlerPrefix = handlerPrefix;
            this.handlerSuffix = handlerSuffix;
            this.files = files;
            this.types = types;
            this.failure = failure;
            this.unserializable = unserializable;
            this.logStdout = logStdout;
            this.keepAlive = keepAlive;
            this.badHandlers = badHandlers;
        }

        String handler(String name) {
            return handlerPrefix + name + handlerSuffix;
        }

        String type(String neutral) {
            return types.get(neutral);
        }

        /** Compact JSON as this runtime writes it: python's json.dumps puts a space after , and :. */
        String json(String compact) {
            if (this != PYTHON3) {
                return compact;
            }
            StringBuilder out = new StringBuilder();
            boolean inString = false;
            for (int i = 0; i < compact.length(); i++) {
                char c = compact.charAt(i);
                out.append(c);
                if (c == '"' && (i == 0 || compact.charAt(i - 1) != '\\')) {
                    inString = !inString;
                } else if (!inString && (c == ',' || c == ':')) {
                    out.append(' ');
                }
            }
            return out.toString();
        }

        /** The `echo` handler's answer: the event and its kind, or for a script what it was sent. */
        String echoed(String sent, String compactEvent, String type) {
            return this == SHELL ? sent : json("{\"event\":" + compactEvent + ",\"type\":\"" + type(type) + "\"}");
        }
    }

    private void write(Language language) throws Exception {
        for (Map.Entry<String, String> file : language.files.entrySet()) {
            Files.writeString(code.resolve(file.getKey()), file.getValue());
        }
    }

    private BootstrapProcess start(Language language, String handler) throws Exception {
        write(language);
        return BootstrapProcess.ready(language.runtime, runtimeDir, code, language.handler(handler));
    }

    @ParameterizedTest
    @EnumSource(names = {"PYTHON3", "NODE"})
    void jsonInJsonOut(Language language) throws Exception {
        try (var bootstrap = start(language, "echo")) {
            HttpResponse<byte[]> response = bootstrap.post("{\"a\": [1, 2.5, \"x\"], \"b\": null}",
                    "Content-Type", "application/json");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(contentType(response)).isEqualTo("application/json");
            assertThat(text(response)).isEqualTo(language.echoed(null, "{\"a\":[1,2.5,\"x\"],\"b\":null}", "object"));
        }
    }

    @ParameterizedTest
    @EnumSource
    void bytesOut(Language language) throws Exception {
        try (var bootstrap = start(language, "binary")) {
            HttpResponse<byte[]> response = bootstrap.post("");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(contentType(response)).isEqualTo("application/octet-stream");
            byte[] expected = new byte[256];
            for (int i = 0; i < 256; i++) {
                expected[i] = (byte) i;
            }
            assertThat(response.body()).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"PYTHON3", "NODE"})
    void anEventThatIsNotJsonComesAsRawBytes(Language language) throws Exception {
        try (var bootstrap = start(language, "raw")) {
            byte[] notJson = {'n', 'o', 't', ' ', 'j', 's', 'o', 'n', 0, (byte) 0xff};
            HttpResponse<byte[]> response = bootstrap.post(notJson);
            assertThat(contentType(response)).isEqualTo("application/octet-stream");
            assertThat(response.body()).isEqualTo(notJson);
        }
        try (var bootstrap = start(language, "kind")) {
            assertThat(text(bootstrap.post("hello"))).isEqualTo(quoted(language.type("bytes")));
            assertThat(text(bootstrap.post("\"hello\""))).isEqualTo(quoted(language.type("string")));
            assertThat(text(bootstrap.post("42"))).isEqualTo(quoted(language.type("number")));
            assertThat(text(bootstrap.post("NaN"))).isEqualTo(quoted(language.type("bytes")));
            assertThat(text(bootstrap.post(new byte[] {'"', (byte) 0xff, '"'}))).isEqualTo(quoted(language.type("bytes")));
        }
    }

    private static String quoted(String s) {
        return "\"" + s + "\"";
    }

    @ParameterizedTest
    @EnumSource(names = {"PYTHON3", "NODE"})
    void anEmptyBodyIsNull(Language language) throws Exception {
        try (var bootstrap = start(language, "echo")) {
            assertThat(text(bootstrap.post(""))).isEqualTo(language.echoed("", "null", "null"));
        }
    }

    @ParameterizedTest
    @EnumSource
    void anUnhandledErrorIsAnErrorResponseWithTheDetailsInTheLog(Language language) throws Exception {
        Failure failure = language.failure;
        try (var bootstrap = start(language, "fail")) {
            HttpResponse<byte[]> response = bootstrap.post("7", "Arrow-Invocation-Id", "inv-42");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Arrow-Error")).hasValue("unhandled");
            assertThat(contentType(response)).isEqualTo("application/json");
            String body = text(response);
            assertThat(body).startsWith(failure.bodyStart()).endsWith("]}").doesNotContain("bootstrap.");
            // allSatisfy, not contains(...): a script has no stack, so nothing more to look for
            assertThat(failure.inBody()).allSatisfy(part -> assertThat(body).contains(part));
            String stderr = bootstrap.stderr();
            assertThat(failure.inStderr()).allSatisfy(part -> assertThat(stderr).contains(part));
            String stdout = bootstrap.stdout();
            assertThat(failure.inStdout()).allSatisfy(part -> assertThat(stdout).contains(part));

            assertThat(bootstrap.post("8").statusCode()).as("the instance survives").isEqualTo(500);
            assertThat(bootstrap.process.isAlive()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"PYTHON3", "NODE"})
    void aResultThatIsNotJsonIsAnError(Language language) throws Exception {
        try (var bootstrap = start(language, "unserializable")) {
            HttpResponse<byte[]> response = bootstrap.post("");
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Arrow-Error")).hasValue("unhandled");
            assertThat(text(response)).contains(language.json("\"errorType\":\"TypeError\""), language.unserializable);
        }
    }

    // a script runs anew for each request: it has no state to keep
    @ParameterizedTest
    @EnumSource(names = {"PYTHON3", "NODE"})
    void moduleStatePersistsAcrossInvocations(Language language) throws Exception {
        try (var bootstrap = start(language, "counter")) {
            assertThat(List.of(text(bootstrap.post("")), text(bootstrap.post("")), text(bootstrap.post(""))))
                    .containsExactly("1", "2", "3");
        }
    }

    // a script sees the same in its environment, with more: ShellRuntimeIT
    @ParameterizedTest
    @EnumSource(names = {"PYTHON3", "NODE"})
    void theContextCarriesTheInvocationAndTheArrow(Language language) throws Exception {
        try (var bootstrap = start(language, "ctx")) {
            long deadline = System.currentTimeMillis() + 10_000;
            String body = text(bootstrap.post("", "Arrow-Invocation-Id", "inv-ctx", "Arrow-Deadline-Ms",
                    Long.toString(deadline)));
            assertThat(body).startsWith(language.json("{\"id\":\"inv-ctx\",\"aws\":\"inv-ctx\",\"name\":\"my-arrow\","
                    + "\"version\":\"r7\",\"memory\":128,\"remaining\":"));
            long remaining = Long.parseLong(body.replaceAll(".*\"remaining\": ?(\\d+)}", "$1"));
            assertThat(remaining).isBetween(5_000L, 10_000L);

            assertThat(text(bootstrap.post(""))).endsWith(language.json("\"remaining\":2147483647}"));
        }
    }

    @ParameterizedTest
    @EnumSource
    void outputOfTheHandlerIsInTheLogsRightAfterTheInvocation(Language language) throws Exception {
        try (var bootstrap = start(language, "logs")) {
            assertThat(text(bootstrap.post("\"x1\""))).isEqualTo("\"ok\"");
            assertThat(bootstrap.stdout()).isEqualTo(language.logStdout);
            assertThat(bootstrap.stderr()).isEqualTo("to stderr x1\n");
        }
    }

    static Stream<Arguments> badHandlers() {
        return Arrays.stream(Language.values()).flatMap(language -> language.badHandlers.entrySet().stream()
                .map(bad -> Arguments.of(language, bad.getKey(), bad.getValue())));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("badHandlers")
    void aBadHandlerEndsTheProcessBeforeItListens(Language language, String handler, String message) throws Exception {
        write(language);
        try (var bootstrap = BootstrapProcess.start(language.runtime, runtimeDir, code, handler, Map.of())) {
            assertThat(bootstrap.awaitReady(Duration.ofSeconds(20))).isFalse();
            assertThat(bootstrap.awaitExit(Duration.ofSeconds(10))).isEqualTo(1);
            assertThat(bootstrap.stderr()).contains(message);
        }
    }

    @ParameterizedTest
    @EnumSource
    void keepAliveServesFiftyRequestsOnOneConnection(Language language) throws Exception {
        try (var bootstrap = start(language, "raw")) {
            List<BootstrapProcess.RawResponse> responses = bootstrap.onOneConnection(
                    IntStream.range(0, 50).mapToObj(i -> ("request " + i).getBytes(StandardCharsets.UTF_8)).toList());
            assertThat(responses).extracting(BootstrapProcess.RawResponse::text)
                    .containsExactlyElementsOf(IntStream.range(0, 50).mapToObj(i -> "request " + i).toList());
            assertThat(responses).allSatisfy(r -> {
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.headers().get("connection")).isEqualTo(language.keepAlive);
            });
        }
    }

    @ParameterizedTest
    @EnumSource
    void aChunkedRequestBodyIsTheEvent(Language language) throws Exception {
        try (var bootstrap = start(language, "echo")) {
            byte[] body = "[1, 2, 3]".getBytes(StandardCharsets.UTF_8);
            HttpRequest request = bootstrap.request(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
            HttpResponse<byte[]> response = bootstrap.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
            assertThat(text(response)).isEqualTo(language.echoed("[1, 2, 3]", "[1,2,3]", "list"));
        }
    }

    @ParameterizedTest
    @EnumSource
    void invocationsRunConcurrently(Language language) throws Exception {
        try (var bootstrap = start(language, "together")) {
            List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (String me : List.of("A", "B")) {
                calls.add(bootstrap.client().sendAsync(bootstrap.request(HttpRequest.BodyPublishers.ofString(me)),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (var call : calls) {
                assertThat(text(call.get())).isEqualTo("\"met\"");
            }
        }
    }
}
