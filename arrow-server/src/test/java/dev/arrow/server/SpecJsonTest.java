package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Isolation;
import org.junit.jupiter.api.Test;

class SpecJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode manifest(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void isolationIsProcessUnlessTheManifestSaysVm() throws Exception {
        ArrowSpec plain = SpecJson.parse(manifest("{\"name\": \"plain\", \"command\": [\"cat\"]}"));
        ArrowSpec boxed = SpecJson.parse(manifest("{\"name\": \"boxed\", \"command\": [\"cat\"], \"isolation\": \"vm\"}"));
        ArrowSpec said = SpecJson.parse(manifest("{\"name\": \"said\", \"command\": [\"cat\"], \"isolation\": \"process\"}"));

        assertThat(plain.isolation()).isEqualTo(Isolation.PROCESS);
        assertThat(boxed.isolation()).isEqualTo(Isolation.VM);
        assertThat(said.isolation()).isEqualTo(Isolation.PROCESS);
    }

    @Test
    void isolationIsWrittenBackAsTheManifestSpellsIt() throws Exception {
        ArrowSpec boxed = SpecJson.parse(manifest("{\"name\": \"boxed\", \"command\": [\"cat\"], \"isolation\": \"vm\"}"));

        assertThat(SpecJson.write(boxed).path("isolation").asText()).isEqualTo("vm");
        assertThat(SpecJson.parse(SpecJson.write(boxed))).isEqualTo(boxed);
        assertThat(SpecJson.write(boxed.withIsolation(Isolation.PROCESS)).path("isolation").asText()).isEqualTo("process");
    }

    @Test
    void anUnknownIsolationIsRefusedNamingTheField() {
        assertThatThrownBy(() -> SpecJson.parse(manifest(
                "{\"name\": \"boxed\", \"command\": [\"cat\"], \"isolation\": \"container\"}")))
                .isInstanceOfSatisfying(ApiError.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.field()).contains("isolation");
                })
                .hasMessageContaining("process or vm").hasMessageContaining("container");
        assertThatThrownBy(() -> SpecJson.parse(manifest(
                "{\"name\": \"boxed\", \"command\": [\"cat\"], \"isolation\": 1}")))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.field()).contains("isolation"));
    }
}
