package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.access.SandboxGrant;
import dev.arrow.platform.arrows.Bindings;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SandboxAuthorizationTest {

    private final SandboxGrant grant = new SandboxGrant("shop",
            new Bindings(List.of("carts"), List.of("orders"), List.of("images")));

    @Test
    void theContentsOfBoundStoresQueuesAndBucketsAreAllowed() {
        for (String request : List.of(
                "GET /v1/kv/carts/keys/a", "PUT /v1/kv/carts/keys/a/b/c", "DELETE /v1/kv/carts/keys/a",
                "GET /v1/kv/carts/keys", "GET /v1/kv/carts",
                "POST /v1/queues/orders/messages", "POST /v1/queues/orders/receive", "POST /v1/queues/orders/delete",
                "POST /v1/queues/orders/visibility", "GET /v1/queues/orders",
                "GET /v1/buckets/images/objects/a.png", "PUT /v1/buckets/images/objects/x/y.png",
                "HEAD /v1/buckets/images/objects/a.png", "DELETE /v1/buckets/images/objects/a.png",
                "GET /v1/buckets/images/objects")) {
            String[] parts = request.split(" ");
            assertThatCode(() -> SandboxAuthorization.check(parts[0], parts[1], grant)).as(request).doesNotThrowAnyException();
        }
    }

    @Test
    void publishingEventsTakesTheEventsBinding() {
        var publisher = new SandboxGrant("shop", new Bindings(List.of(), List.of(), List.of(), true));
        assertThatCode(() -> SandboxAuthorization.check("POST", "/v1/events", publisher)).doesNotThrowAnyException();
        assertRefused("POST", "/v1/events", "events", "events: add events: publish to its bindings");
        assertThatThrownBy(() -> SandboxAuthorization.check("GET", "/v1/events", publisher)).isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> SandboxAuthorization.check("POST", "/v1/events/redrive", publisher))
                .isInstanceOf(ApiError.class);
    }

    @Test
    void unboundResourcesAreRefusedByName() {
        assertRefused("GET", "/v1/kv/secrets/keys/a", "store", "kv store 'secrets'");
        assertRefused("PUT", "/v1/kv/secrets/keys/a", "store", "kv store 'secrets'");
        assertRefused("GET", "/v1/kv/secrets", "store", "kv store 'secrets'");
        assertRefused("PUT", "/v1/kv/orders/keys/a", "store", "kv store 'orders'"); // a queue's name is not a store
        assertRefused("POST", "/v1/queues/payments/messages", "queue", "queue 'payments'");
        assertRefused("POST", "/v1/queues/carts/receive", "queue", "queue 'carts'");
        assertRefused("GET", "/v1/buckets/private/objects/a", "bucket", "bucket 'private'");
        assertRefused("GET", "/v1/buckets/private/objects", "bucket", "bucket 'private'");
    }

    @Test
    void everythingElseIsRefused() {
        for (String request : List.of(
                "GET /v1/kv", "GET /v1/queues", "GET /v1/buckets", "POST /v1/arrows", "GET /v1/arrows",
                "POST /v1/arrows/shop/invoke", "GET /v1/invocations", "POST /v1/keys", "POST /v1/bundles",
                "PUT /v1/kv/carts", "DELETE /v1/kv/carts", "PUT /v1/queues/orders", "DELETE /v1/queues/orders",
                "POST /v1/queues/orders/purge", "POST /v1/queues/orders/redrive", "POST /v1/queues/orders/messages/x",
                "PUT /v1/buckets/images", "DELETE /v1/buckets/images", "GET /v1/buckets/images",
                "GET /metrics", "GET /healthz", "GET /a/shop/", "GET /v1", "GET /", "GET /v1/kv//keys/a",
                "GET /v2/kv/carts/keys/a", "GET v1/kv/carts/keys/a")) {
            String[] parts = request.split(" ");
            assertThatThrownBy(() -> SandboxAuthorization.check(parts[0], parts[1], grant)).as(request)
                    .isInstanceOfSatisfying(ApiError.class, e -> {
                        assertThat(e.status()).isEqualTo(403);
                        assertThat(e.code()).isEqualTo("forbidden");
                        assertThat(e.field()).isEmpty();
                        assertThat(e.getMessage()).contains(parts[0] + " " + parts[1]);
                    });
        }
    }

    @Test
    void anArrowWithoutBindingsReachesNothing() {
        var none = new SandboxGrant("plain", Bindings.NONE);
        assertThatThrownBy(() -> SandboxAuthorization.check("GET", "/v1/kv/carts/keys/a", none))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.field()).contains("store"));
    }

    @Test
    void aLongOrControlCharacterNameIsShortenedInTheMessage() {
        String name = "x\u0007" + "y".repeat(500);
        assertThatThrownBy(() -> SandboxAuthorization.check("GET", "/v1/kv/" + name + "/keys/a", grant))
                .isInstanceOfSatisfying(ApiError.class, e -> {
                    assertThat(e.getMessage()).hasSizeLessThan(200).doesNotContain("\u0007");
                    assertThat(e.field()).contains("store");
                });
    }

    private void assertRefused(String method, String path, String field, String named) {
        assertThatThrownBy(() -> SandboxAuthorization.check(method, path, grant)).as(method + " " + path)
                .isInstanceOfSatisfying(ApiError.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.code()).isEqualTo("forbidden");
                    assertThat(e.field()).isEqualTo(Optional.of(field));
                    assertThat(e.getMessage()).isEqualTo("this arrow does not bind " + named);
                });
    }
}
