package dev.arrow.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The CLI's mapper-free JSON reads and writes exactly what Jackson's ObjectMapper does. */
class JsonTest {

    private static final String SAMPLE = """
            {"arrows":[{"name":"wc","revision":3,"cold":true,"billed":0.125,"big":12345678901234,
            "huge":123456789012345678901234567890,"none":null,"tags":[],"env":{},"text":"a\\"b\\u00e9\\n"}],"next":null}""";

    @Test
    void readsTheSameTreeAsAnObjectMapper() throws IOException {
        assertThat(Json.parse(SAMPLE)).isEqualTo(new ObjectMapper().readTree(SAMPLE));
        assertThat(Json.parse(SAMPLE.getBytes(StandardCharsets.UTF_8))).isEqualTo(new ObjectMapper().readTree(SAMPLE));
    }

    @Test
    void writesWhatAnObjectMapperWrites() throws IOException {
        JsonNode tree = new ObjectMapper().readTree(SAMPLE);
        assertThat(Json.compact(tree)).isEqualTo(new ObjectMapper().writeValueAsString(tree));
        assertThat(new String(Json.bytes(tree), StandardCharsets.UTF_8)).isEqualTo(new ObjectMapper().writeValueAsString(tree));
        assertThat(Json.pretty(tree))
                .isEqualTo(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree));
    }

    @Test
    void refusesWhatIsNotOneJsonValue() {
        assertThatThrownBy(() -> Json.parse("")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.parse("{} {}")).isInstanceOf(IOException.class).hasMessageContaining("more than one");
        assertThatThrownBy(() -> Json.parse("{\"a\":")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Json.parse("<html>")).isInstanceOf(IOException.class);
    }
}
