package dev.arrow.events.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import io.cloudevents.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CloudEventsIngressTest {

    private static byte[] bytes(String text) {
        return text.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    private static void refused(Map<String, String> headers, String body, String field) {
        assertThatThrownBy(() -> CloudEventsIngress.read(headers, bytes(body)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
    }

    private static final Map<String, String> BINARY = Map.of("ce-specversion", "1.0", "ce-id", "42", "ce-source", "/shop",
            "ce-type", "com.example.order.created", "Content-Type", "application/json", "ce-region", "eu");

    @Test
    void binaryModeTakesTheAttributesFromHeaders() {
        CloudEvent event = CloudEventsIngress.read(BINARY, bytes("{'total': 12}")).getFirst();
        assertThat(event.getId()).isEqualTo("42");
        assertThat(event.getType()).isEqualTo("com.example.order.created");
        assertThat(new String(event.getData().toBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"total\": 12}");
        assertThat(CloudEventsIngress.attributes(event)).containsEntry("region", "eu").containsEntry("source", "/shop")
                .containsEntry("specversion", "1.0");
    }

    @Test
    void structuredAndBatchModesTakeThemFromTheBody() {
        CloudEvent event = CloudEventsIngress.read(Map.of("content-type", "application/cloudevents+json; charset=utf-8"),
                bytes("{'specversion': '1.0', 'id': 'a', 'source': '/s', 'type': 't', 'data': {'x': 1}, 'tenant': 'blue'}"))
                .getFirst();
        assertThat(event.getSource().toString()).isEqualTo("/s");
        assertThat(CloudEventsIngress.attributes(event)).containsEntry("tenant", "blue");
        List<CloudEvent> batch = CloudEventsIngress.read(Map.of("Content-Type", CloudEventsIngress.BATCH), bytes("""
                [{'specversion': '1.0', 'id': '1', 'source': '/s', 'type': 't'},
                 {'specversion': '1.0', 'id': '2', 'source': '/s', 'type': 't', 'data_base64': 'aGk='}]"""));
        assertThat(batch).extracting(CloudEvent::getId).containsExactly("1", "2");
        assertThat(batch.get(1).getData().toBytes()).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aMissingOrBadAttributeIsNamed() {
        var noType = new java.util.HashMap<>(BINARY);
        noType.remove("ce-type");
        refused(noType, "{}", "ce-type");
        var oldVersion = new java.util.HashMap<>(BINARY);
        oldVersion.put("ce-specversion", "0.3");
        refused(oldVersion, "{}", "ce-specversion");
        refused(BINARY, "{not json", "data");
        var badTime = new java.util.HashMap<>(BINARY);
        badTime.put("ce-time", "yesterday");
        refused(badTime, "{}", "ce-time");
        Map<String, String> structured = Map.of("Content-Type", CloudEventsIngress.STRUCTURED);
        refused(structured, "{'specversion': '1.0', 'id': 'a', 'type': 't'}", "source");
        refused(structured, "{'specversion': '1.0', 'id': '', 'source': '/s', 'type': 't'}", "id");
        refused(structured, "{'specversion': '1.0', 'id': 'a', 'source': '/s', 'type': 't', 'Bad_Name': 1}", "Bad_Name");
        refused(structured, "[1]", "body");
        refused(structured, "nope", "body");
    }

    @Test
    void oneBadEventRefusesTheWholeBatch() {
        Map<String, String> batch = Map.of("Content-Type", CloudEventsIngress.BATCH);
        refused(batch, "[{'specversion': '1.0', 'id': '1', 'source': '/s', 'type': 't'}, {'specversion': '1.0', 'id': '2', 'source': '/s'}]",
                "[1].type");
        refused(batch, "[]", "body");
        refused(batch, "{}", "body");
    }
}
