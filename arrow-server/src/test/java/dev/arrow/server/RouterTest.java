package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {

    private static final Router.Handler NOTHING = exchange -> {
    };

    private final Router router = new Router()
            .add("GET", "/v1/arrows", NOTHING)
            .add("GET", "/v1/arrows/{name}", NOTHING)
            .add("DELETE", "/v1/arrows/{name}", NOTHING)
            .add("PUT", "/v1/kv/{store}/keys/{key...}", NOTHING);

    @Test
    void bindsNamedSegments() {
        var found = (Router.Match.Found) router.match("GET", "/v1/arrows/wc");
        assertThat(found.route().template()).isEqualTo("/v1/arrows/{name}");
        assertThat(found.params()).isEqualTo(Map.of("name", "wc"));
    }

    @Test
    void theRestTakesSlashesAndMayBeEmpty() {
        var found = (Router.Match.Found) router.match("PUT", "/v1/kv/carts/keys/a/b//c");
        assertThat(found.params()).isEqualTo(Map.of("store", "carts", "key", "a/b//c"));
        var empty = (Router.Match.Found) router.match("PUT", "/v1/kv/carts/keys/");
        assertThat(empty.params()).containsEntry("key", "");
        assertThat(router.match("PUT", "/v1/kv/carts/keys")).isInstanceOf(Router.Match.NoRoute.class);
    }

    @Test
    void anEmptyNamedSegmentDoesNotMatch() {
        assertThat(router.match("GET", "/v1/arrows/")).isInstanceOf(Router.Match.NoRoute.class);
        assertThat(router.match("PUT", "/v1/kv//keys/k")).isInstanceOf(Router.Match.NoRoute.class);
    }

    @Test
    void aWrongMethodNamesTheAllowedOnes() {
        var wrong = (Router.Match.WrongMethod) router.match("POST", "/v1/arrows/wc");
        assertThat(wrong.allowed()).containsExactly("GET", "DELETE");
        assertThat(router.match("GET", "/v2/arrows")).isInstanceOf(Router.Match.NoRoute.class);
        assertThat(router.match("GET", "v1/arrows")).isInstanceOf(Router.Match.NoRoute.class);
    }

    @Test
    void onlyTheLastSegmentMayTakeTheRest() {
        assertThatThrownBy(() -> new Router().add("GET", "/v1/{path...}/x", NOTHING))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
