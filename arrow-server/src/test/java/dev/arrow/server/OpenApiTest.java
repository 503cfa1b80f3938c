package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The OpenAPI file and the route table describe the same API. */
class OpenApiTest {

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationExists() throws Exception {
        JsonNode doc;
        try (InputStream in = Node.class.getResourceAsStream("openapi.json")) {
            doc = new ObjectMapper().readTree(in);
        }
        Set<String> documented = new TreeSet<>();
        doc.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(
                method -> documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));
        Set<String> routed = new TreeSet<>();
        // A rest-of-path parameter, {key...}, is an ordinary one to OpenAPI: {key}.
        new ApiRoutes(null, null, null, null, null, null, null, null, new byte[0], 0, null, null,
                new FlowRoutes(null, 0, 0, null)).router().routes()
                .forEach(route -> routed.add(route.method() + " " + route.template().replace("...}", "}")));
        assertThat(documented).isEqualTo(routed);
        assertThat(doc.path("openapi").asText()).startsWith("3.1");
    }

    @Test
    void theCallsThatTakeAnIdempotencyKeySayHowItIsAnswered() throws Exception {
        JsonNode doc;
        try (InputStream in = Node.class.getResourceAsStream("openapi.json")) {
            doc = new ObjectMapper().readTree(in);
        }
        assertThat(doc.at("/components/parameters/IdempotencyKey/name").asText()).isEqualTo("Idempotency-Key");
        for (String path : new String[] {"/v1/arrows", "/v1/arrows/{name}/invoke"}) {
            JsonNode post = doc.path("paths").path(path).path("post");
            assertThat(post.path("parameters").findValuesAsText("$ref")).as(path)
                    .contains("#/components/parameters/IdempotencyKey");
            assertThat(post.path("responses").has("409") && post.path("responses").has("422")).as(path).isTrue();
        }
    }
}
