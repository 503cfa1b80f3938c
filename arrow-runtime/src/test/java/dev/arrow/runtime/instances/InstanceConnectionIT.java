package dev.arrow.runtime.instances;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Sandboxes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The first connection to a new instance: made while the instance starts, so that the request that
 * waited for it goes out at once. A real sandbox runs a python3 server that says which connections
 * it accepted and which ended, and answers each request with the port of the connection it came on.
 */
@Timeout(60)
class InstanceConnectionIT extends InstanceClientFixture {

    private static final String APP = """
            import http.server, os
            class Server(http.server.ThreadingHTTPServer):
                def process_request(self, request, client_address):
                    print("accepted", client_address[1], flush=True)
                    super().process_request(request, client_address)
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    body = str(self.client_address[1]).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def finish(self):
                    super().finish()
                    print("ended", self.client_address[1], flush=True)
                def log_message(self, *args):
                    pass
            Server(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
            """;
    private static final Pattern EVENT = Pattern.compile("(accepted|ended) (\\d+)");

    private final List<Instance> instances = new ArrayList<>();

    @AfterEach
    void stopInstances() throws Exception {
        for (Instance instance : instances) {
            instance.stop();
            instance.endedWithin(Duration.ofSeconds(10));
        }
    }

    private static final InstanceSpec SPEC = new InstanceSpec(List.of("/usr/bin/python3", "-c", APP), Map.of(),
            Optional.empty(), List.of(), Limits.DEFAULT.withMemoryBytes(128L << 20), NetworkPolicy.NONE, 8080,
            Optional.empty(), Duration.ofSeconds(10));

    private Instance start() throws Exception {
        Instance instance = Instance.start(Sandboxes.processDriver(), SPEC, "connection-test", Clock.systemUTC());
        instances.add(instance);
        return instance;
    }

    /** Started as a node starts them: with the client that sends the requests, readied meanwhile. */
    private Instance startForClient() throws Exception {
        Instance instance = new InstanceStarter(Sandboxes.processDriver(), SPEC, Clock.systemUTC(), client)
                .start("connection-test");
        instances.add(instance);
        return instance;
    }

    /** The ports of the connections the app has accepted and not yet seen end, from its log. */
    private static Set<String> openConnections(Instance instance) {
        Set<String> open = new LinkedHashSet<>();
        Matcher event = EVENT.matcher(instance.logTail());
        while (event.find()) {
            if (event.group(1).equals("accepted")) {
                open.add(event.group(2));
            } else {
                open.remove(event.group(2));
            }
        }
        return open;
    }

    private static String get(Instance instance) throws Exception {
        return client.newRequest(instance, "/").timeout(5, TimeUnit.SECONDS).send().getContentAsString();
    }

    @Test
    void theFirstRequestGoesOutOnTheConnectionMadeWhileTheInstanceStarted() throws Exception {
        Instance instance = start();
        // Before any request: one connection is open, the early one (the supervisor's own readiness
        // check connected and left again).
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections(instance).size() == 1);
        String early = openConnections(instance).iterator().next();

        assertThat(get(instance)).isEqualTo(early);
        assertThat(get(instance)).as("kept alive for the next request").isEqualTo(early);
        assertThat(openConnections(instance)).containsExactly(early);
    }

    @Test
    void theClientHasItsWayToAnInstanceReadyBeforeTheFirstRequest() throws Exception {
        Instance instance = startForClient();

        assertThat(client.http().getDestinations())
                .as("Jetty's destination for the instance, made while it started")
                .anyMatch(destination -> destination.getOrigin().getTransport() == instance.transport());
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections(instance).size() == 1);
        String early = openConnections(instance).iterator().next();
        assertThat(get(instance)).as("still sent on the early connection").isEqualTo(early);
    }

    @Test
    void anEarlyConnectionLeftIdleForASecondIsClosedAndTheRequestGetsANewOne() throws Exception {
        Instance instance = start();
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections(instance).size() == 1);
        String early = openConnections(instance).iterator().next();
        Thread.sleep(1100); // an app may close connections idle for long: this one is not trusted any more

        String used = get(instance);
        assertThat(used).isNotEqualTo(early);
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnections(instance).equals(Set.of(used)));
    }
}
