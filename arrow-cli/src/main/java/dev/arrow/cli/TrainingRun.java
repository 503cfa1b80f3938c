package dev.arrow.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.RequestBody;
import dev.arrow.runtime.bundle.BundleUnpacker;
import dev.arrow.server.Node;
import dev.arrow.server.NodeConfig;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The workload the launcher records its JVM start-up cache from ({@code serve --training-run}):
 * a node in a temporary home, on a free loopback port, that is asked what a fresh node is asked
 * first. Everything it made is removed afterwards.
 */
final class TrainingRun {

    private TrainingRun() {
    }

    static int run(NodeConfig defaults) throws Exception {
        Path home = Files.createTempDirectory("arrow-training-");
        try (Node node = Node.start(defaults.withListen("127.0.0.1", 0).withHome(home.resolve("home"))
                .withS3Listen(Optional.of(new NodeConfig.Listen("127.0.0.1", 0))))) {
            String token = Files.readString(node.home().resolve("token")).strip();
            try (var client = new ArrowClient(node.uri(), token)) {
                ObjectNode spec = ArrowClient.object();
                spec.put("name", "training");
                spec.putArray("command").add("/bin/cat");
                client.deploy(spec);
                for (int i = 0; i < 3; i++) {
                    client.invoke("training", RequestBody.of("{\"n\":" + i + "}"), false);
                }
                client.listArrows();
                client.arrow("training");
                client.invocations("training", null, 10, null);
                client.arrowLogs("training", 10);
                client.deleteArrow("training");
                warmInstances(client, node);
            }
        } finally {
            BundleUnpacker.deleteTree(home);
        }
        return 0;
    }

    /**
     * An http-mode arrow started cold a few times and asked through the gateway, so that the
     * cache holds the profiles of the instance start and the relay too. Skipped without python3.
     */
    private static void warmInstances(ArrowClient client, Node node) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            return;
        }
        var http = HttpClient.newHttpClient();
        URI gateway = node.uri().resolve("/a/training-web/");
        for (int start = 0; start < 3; start++) {
            ObjectNode spec = ArrowClient.object();
            spec.put("name", "training-web");
            spec.put("mode", "http");
            spec.putArray("command").add(python.toString()).add("-m").add("http.server").add("8080");
            spec.putObject("env").put("START", Integer.toString(start)); // a new revision: a cold start
            client.deploy(spec);
            for (int i = 0; i < 20; i++) {
                http.send(HttpRequest.newBuilder(gateway).build(), HttpResponse.BodyHandlers.discarding());
            }
        }
        client.deleteArrow("training-web");
    }
}
