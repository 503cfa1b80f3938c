package dev.arrow.events.filters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.InvalidInputException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FiltersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> ORDER = Map.of("type", "com.example.order.created", "source", "/shop/eu",
            "id", "1", "specversion", "1.0", "region", "eu-west");

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void knativeDialectCombinesExactPrefixSuffixAllAnyNot() throws Exception {
        Filter filter = Filters.parseList(json("""
                [{'exact': {'type': 'com.example.order.created'}},
                 {'any': [{'prefix': {'source': '/shop/'}}, {'suffix': {'source': '/legacy'}}]},
                 {'not': {'exact': {'region': 'us-east'}}},
                 {'all': [{'prefix': {'region': 'eu'}}]}]"""), "filters");
        assertThat(filter.test(ORDER)).isTrue();
        assertThat(filter.test(Map.of("type", "com.example.order.created", "source", "/other", "region", "eu"))).isFalse();
        assertThat(filter.test(Map.of("type", "com.example.order.created", "source", "/shop/x", "region", "us-east"))).isFalse();
    }

    @Test
    void anAttributeTheEventLacksMatchesNothingButNot() throws Exception {
        assertThat(Filters.parse(json("{'exact': {'subject': 'a'}}"), "f").test(ORDER)).isFalse();
        assertThat(Filters.parse(json("{'prefix': {'subject': ''}}"), "f").test(ORDER)).isFalse();
        assertThat(Filters.parse(json("{'not': {'suffix': {'subject': 'a'}}}"), "f").test(ORDER)).isTrue();
    }

    @Test
    void extensionsAreAttributesLikeAnyOther() throws Exception {
        assertThat(Filters.parse(json("{'exact': {'region': 'eu-west'}}"), "f").test(ORDER)).isTrue();
    }

    @Test
    void theShorthandTakesValuesAndMatchersAndKnativeFilters() throws Exception {
        Filter filter = Filters.parseShorthand(json("""
                {'type': 'com.example.order.created', 'source': {'prefix': '/shop/'},
                 'filters': [{'not': {'exact': {'region': 'us-east'}}}]}"""), "triggers[0].event");
        assertThat(filter.test(ORDER)).isTrue();
        assertThat(filter.test(Map.of("type", "com.example.order.created", "source", "/warehouse"))).isFalse();
        assertThat(Filters.parseShorthand(json("{}"), "e").test(ORDER)).isTrue();
    }

    @Test
    void anUnknownDialectKeyIsRefusedByItsPath() throws Exception {
        assertThatThrownBy(() -> Filters.parseList(json("[{'exact': {'type': 'a'}}, {'any': [{'regex': {'type': 'a.*'}}]}]"),
                "triggers[1].event.filters"))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.field()).isEqualTo("triggers[1].event.filters[1].any[0].regex"))
                .hasMessageContaining("'regex' is not a filter");
        assertThatThrownBy(() -> Filters.parseShorthand(json("{'type': {'like': 'a'}}"), "triggers[0].event"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("triggers[0].event.type.like"));
    }

    @Test
    void badShapesAndNamesAreRefused() throws Exception {
        assertThatThrownBy(() -> Filters.parse(json("{'exact': {'type': 'a'}, 'prefix': {'type': 'b'}}"), "f"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("f"));
        assertThatThrownBy(() -> Filters.parse(json("{'exact': {'Type': 'a'}}"), "f"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("f.exact.Type"));
        assertThatThrownBy(() -> Filters.parse(json("{'exact': {'type': 3}}"), "f"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("f.exact.type"));
        assertThatThrownBy(() -> Filters.parse(json("{'exact': {}}"), "f")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Filters.parseList(json("{}"), "f")).isInstanceOf(InvalidInputException.class);
    }
}
