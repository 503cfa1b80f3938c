package dev.arrow.runtime.runtimes;

import static dev.arrow.runtime.runtimes.BootstrapProcess.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What only the node bootstrap does (undefined, promises, callbacks, ES modules), run by the
 * host's /usr/bin/node over real HTTP; what every runtime does is in LanguageRuntimesIT.
 */
@Timeout(60)
class NodeRuntimeIT extends RuntimeFixture {

    private static final String HANDLERS = """
            exports.reject = async (event) => {
              await new Promise((resolve) => setTimeout(resolve, 5));
              throw new RangeError('rejected: ' + event);
            };
            exports.undef = () => undefined;
            exports.callback = (event, context, callback) => {
              setTimeout(() => callback(null, { cb: event }), 5);
            };
            """;

    @BeforeEach
    void writeCode() throws Exception {
        Files.writeString(code.resolve("handlers.js"), HANDLERS);
    }

    private BootstrapProcess start(String handler) throws Exception {
        return BootstrapProcess.ready(LanguageRuntime.NODE, runtimeDir, code, handler);
    }

    @Test
    void undefinedIsNull() throws Exception {
        try (var node = start("handlers.undef")) {
            HttpResponse<byte[]> response = node.post("1");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(text(response)).isEqualTo("null");
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
}
