package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.ArrowSpec;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final RouteTable table = new RouteTable();

    /** An http-mode arrow claiming {@code triggers} (single quotes for double). */
    private static ArrowSpec spec(String name, String mode, String triggers) throws Exception {
        return SpecJson.parse(JSON.readTree(("{'name': '" + name + "', 'mode': '" + mode + "', 'command': ['server'],"
                + " 'triggers': " + triggers + "}").replace('\'', '"')));
    }

    private static ArrowSpec http(String name, String triggers) throws Exception {
        return spec(name, "http", triggers);
    }

    private void claim(ArrowSpec spec) {
        table.check(spec);
        table.set(spec.name(), spec);
    }

    private Optional<String> routed(String host, String method, String path) {
        return table.match(host, method, path).map(RouteTable.Claim::arrow);
    }

    @Test
    void aRequestGoesToTheArrowWhoseRouteCoversItsPath() throws Exception {
        claim(http("orders", "[{'http': {'path': '/api/orders'}}]"));
        claim(http("users", "[{'http': {'path': '/api/users/'}}]"));

        assertThat(routed("node:8080", "GET", "/api/orders")).contains("orders");
        assertThat(routed("node:8080", "POST", "/api/orders/17/lines")).contains("orders");
        assertThat(routed("node", "GET", "/api/users")).contains("users");
        assertThat(routed("node", "GET", "/api/ordersx")).isEmpty(); // a prefix ends at a segment's end
        assertThat(routed("node", "GET", "/api")).isEmpty();
        assertThat(routed("node", "GET", "/v1/arrows")).isEmpty();
    }

    @Test
    void methodsAndHostsNarrowARoute() throws Exception {
        claim(http("writer", "[{'http': {'path': '/api/orders', 'methods': ['POST', 'PUT']}}]"));
        claim(http("reader", "[{'http': {'path': '/api/orders', 'methods': ['GET']}}]"));
        claim(http("shop", "[{'http': {'path': '/shop', 'host': 'Shop.Example.com'}}]"));

        assertThat(routed("localhost", "POST", "/api/orders")).contains("writer");
        assertThat(routed("localhost", "GET", "/api/orders/1")).contains("reader");
        assertThat(routed("localhost", "HEAD", "/api/orders")).contains("reader");
        assertThat(routed("localhost", "DELETE", "/api/orders")).isEmpty();
        assertThat(routed("shop.example.com:8080", "GET", "/shop/cart")).contains("shop");
        assertThat(routed("SHOP.example.com.", "GET", "/shop")).contains("shop");
        assertThat(routed("other.example.com", "GET", "/shop")).isEmpty();
    }

    @Test
    void nestedRoutesOfOtherMethodsOrHostsEachGetTheirOwn() throws Exception {
        claim(http("api", "[{'http': {'path': '/api', 'methods': ['GET']}}]"));
        claim(http("orders", "[{'http': {'path': '/api/orders', 'methods': ['POST']}},"
                + " {'http': {'path': '/api/orders/archive', 'methods': ['DELETE']}}]"));

        assertThat(routed("b.example", "GET", "/api/orders/1")).contains("api");
        assertThat(routed("b.example", "POST", "/api/orders/1")).contains("orders");
        assertThat(routed("b.example", "DELETE", "/api/orders/archive/1")).contains("orders");
        assertThat(routed("b.example", "POST", "/api/users")).isEmpty();
    }

    @Test
    void anOverlappingClaimOfAnotherArrowIsRefusedNamingTheFieldAndTheArrow() throws Exception {
        claim(http("orders", "[{'http': {'path': '/api/orders', 'methods': ['POST']}}]"));

        var nested = http("lines", "[{'http': {'path': '/other'}}, {'http': {'path': '/api/orders/lines'}}]");
        assertThatThrownBy(() -> table.check(nested)).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.status()).isEqualTo(409);
            assertThat(e.code()).isEqualTo("route_claimed");
            assertThat(e.field()).contains("triggers[1].http.path");
            assertThat(e.getMessage()).contains("'orders'").contains("/api/orders");
        });
        assertThatThrownBy(() -> table.check(http("wide", "[{'http': {'path': '/api'}}]")))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.status()).isEqualTo(409));

        // other methods, or another host, do not overlap; nor does the arrow's own claim on redeploy
        table.check(http("reader", "[{'http': {'path': '/api/orders', 'methods': ['GET']}}]"));
        table.check(http("orders", "[{'http': {'path': '/api', 'methods': ['POST']}}]"));
        claim(http("hosted", "[{'http': {'path': '/shop', 'host': 'x.example'}}]"));
        table.check(http("elsewhere", "[{'http': {'path': '/shop', 'host': 'y.example'}}]"));
        assertThatThrownBy(() -> table.check(http("anyhost", "[{'http': {'path': '/shop/cart'}}]")))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.getMessage()).contains("'hosted'"));
    }

    @Test
    void onlyHttpModeArrowsMayClaimRoutes() throws Exception {
        assertThatThrownBy(() -> table.check(spec("job", "exec", "[{'http': {'path': '/jobs'}}]")))
                .isInstanceOfSatisfying(ApiError.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.field()).contains("triggers[0].http");
                });
    }

    @Test
    void theNodesOwnPathsCannotBeClaimed() {
        for (String path : new String[] {"/v1", "/v1/arrows", "/a", "/a/x", "/metrics", "/healthz", "/"}) {
            assertThatThrownBy(() -> http("x", "[{'http': {'path': '" + path + "'}}]"))
                    .as(path).isInstanceOfSatisfying(InvalidInputException.class,
                            e -> assertThat(e.field()).isEqualTo("triggers[0].http.path"));
        }
    }

    @Test
    void aRedeployReplacesTheArrowsClaimsAndARemoveDropsThem() throws Exception {
        claim(http("orders", "[{'http': {'path': '/api/orders'}}]"));
        claim(http("orders", "[{'http': {'path': '/shop'}}]"));
        assertThat(routed("h", "GET", "/api/orders")).isEmpty();
        assertThat(routed("h", "GET", "/shop/cart")).contains("orders");

        claim(http("users", "[{'http': {'path': '/api/orders'}}]")); // free again
        table.remove("orders");
        assertThat(routed("h", "GET", "/shop")).isEmpty();
        assertThat(table.claims()).extracting(RouteTable.Claim::arrow).containsExactly("users");
    }

    @Test
    void hostNamesLoseTheirPortAndCase() {
        assertThat(RouteTable.hostName("Example.COM:8080")).isEqualTo("example.com");
        assertThat(RouteTable.hostName("[::1]:8080")).isEqualTo("[::1]");
        assertThat(RouteTable.hostName("[::1]")).isEqualTo("[::1]");
        assertThat(RouteTable.hostName(null)).isEmpty();
    }
}
