package dev.arrow.platform.arrows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class BindingsTest {

    @Test
    void namesAreKeptInOrderOnceEach() {
        var bindings = new Bindings(List.of("carts", "sessions", "carts"), null, List.of("images.v2"));
        assertThat(bindings.kv()).containsExactly("carts", "sessions");
        assertThat(bindings.queues()).isEmpty();
        assertThat(bindings.bindsKv("carts")).isTrue();
        assertThat(bindings.bindsKv("other")).isFalse();
        assertThat(bindings.bindsQueue("carts")).isFalse();
        assertThat(bindings.bindsBucket("images.v2")).isTrue();
        assertThat(bindings.isEmpty()).isFalse();
        assertThat(new Bindings(null, null, null)).isEqualTo(Bindings.NONE);
        assertThat(Bindings.NONE.isEmpty()).isTrue();
    }

    @Test
    void badNamesAreRefusedNamingTheirField() {
        assertField(() -> new Bindings(List.of("ok", "Not_Valid"), List.of(), List.of()), "bindings.kv[1]");
        assertField(() -> new Bindings(List.of(), List.of("-dash"), List.of()), "bindings.queues[0]");
        assertField(() -> new Bindings(List.of(), List.of(), List.of("ab")), "bindings.buckets[0]");
        assertField(() -> new Bindings(List.of(), List.of(), List.of("a..b")), "bindings.buckets[0]");
        assertField(() -> new Bindings(List.of(), List.of(), List.of("has.dot", "UPPER")), "bindings.buckets[1]");
        assertField(() -> new Bindings(Arrays.asList("ok", null), List.of(), List.of()), "bindings.kv[1]");
        assertField(() -> new Bindings(List.of("x".repeat(64)), List.of(), List.of()), "bindings.kv[0]");
        assertField(() -> new Bindings(List.of("carts\n"), List.of(), List.of()), "bindings.kv[0]");
        List<String> many = new ArrayList<>(Collections.nCopies(Bindings.MAX_PER_KIND + 1, "a"));
        assertField(() -> new Bindings(many, List.of(), List.of()), "bindings.kv");
    }

    @Test
    void aStoreNameIsNotABucketRuleAndBackAgain() {
        // Stores and queues take the names the services take; buckets S3's, which allow dots.
        assertField(() -> new Bindings(List.of("images.v2"), List.of(), List.of()), "bindings.kv[0]");
        assertThat(new Bindings(List.of("a"), List.of(), List.of()).kv()).containsExactly("a");
    }

    @Test
    void aSpecCarriesItsBindings() {
        var bindings = new Bindings(List.of("carts"), List.of("orders"), List.of());
        ArrowSpec spec = ArrowSpec.exec("shop", List.of("cat")).withBindings(bindings);
        assertThat(spec.bindings()).isEqualTo(bindings);
        assertThat(spec.withEnv(java.util.Map.of("A", "b")).bindings()).isEqualTo(bindings);
        assertThat(ArrowSpec.exec("plain", List.of("cat")).bindings()).isEqualTo(Bindings.NONE);
    }

    private static void assertField(Runnable make, String field) {
        assertThatThrownBy(make::run).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo(field));
    }
}
