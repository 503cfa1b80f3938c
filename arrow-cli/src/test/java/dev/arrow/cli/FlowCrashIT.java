package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a flow's durability is worth: runs of a 20-call flow with parallel branches, the node
 * killed with SIGKILL at random moments ten times and started again on the same home each time.
 * Every run must end once, succeeded, with the right output; and every call a step made must be
 * one of its counted attempts: the arrow writes its idempotency key (run, step path, attempt) to
 * a KV store before it works ('/' written as '~'), create-only, so an attempt number used twice
 * fails the step and the run. The keys written for a step must be attempts among 1..n as the
 * step's record counts them, n among them (the call that succeeded). A step the executor called
 * again after its success was stored would raise the calls made again beyond those the kills can
 * cut off, which is bounded below.
 */
class FlowCrashIT extends ServedNode {

    private static final int KILLS = 10;
    private static final int RUNS = 2;
    /** At most this many calls of one run are in flight at once: the fork's two branches. */
    private static final int IN_FLIGHT_PER_RUN = 2;

    private static final String ARROWS = """
            arrows:
              - name: step
                command: [sh, -c, 'in=$(cat); key=$(printf %s "$ARROW_IDEMPOTENCY_KEY" | tr / "~" | jq -sRr @uri); curl -s -f -o /dev/null -X PUT --unix-socket "$ARROW_API_SOCKET" -H "Authorization: Bearer $ARROW_TOKEN" -H "If-None-Match: *" --data-binary 1 "http://arrow/v1/kv/calls/keys/$key" || exit 3; sleep 0.2; printf "%s" "$in" | jq -c ".n += 1"']
                bindings: {kv: [calls]}
            """;

    private static String flow() {
        var tasks = new StringBuilder();
        for (int i = 1; i <= 5; i++) {
            tasks.append("  - s").append(i).append(": {call: arrow, with: {name: step}}\n");
        }
        tasks.append("""
                  - split:
                      fork:
                        branches:
                """);
        for (String side : List.of("left", "right")) {
            tasks.append("          - ").append(side).append(":\n              do:\n");
            for (int i = 1; i <= 5; i++) {
                tasks.append("                - ").append(side.charAt(0)).append(i)
                        .append(": {call: arrow, with: {name: step}}\n");
            }
        }
        tasks.append("  - join: {set: {n: '${ .[0].n + .[1].n }'}}\n");
        for (int i = 1; i <= 5; i++) {
            tasks.append("  - t").append(i).append(": {call: arrow, with: {name: step}}\n");
        }
        return """
                document:
                  dsl: '1.0.0'
                  namespace: crash
                  name: twenty
                  version: '1.0.0'
                do:
                """ + tasks;
    }

    @Test
    void runsKilledTenTimesEachEndOnceWithTheRightOutputAndNoCompletedStepCalledAgain() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        startNode();
        assertThat(arrow("", "kv", "put", "calls", "made", "by the test").status()).isZero();
        Path arrows = home.resolve("arrows.yaml");
        Files.writeString(arrows, ARROWS);
        Run deployed = arrow("", "deploy", "-f", arrows.toString());
        assertThat(deployed.status()).as(deployed.stderr()).isZero();
        Path flow = home.resolve("flow.yaml");
        Files.writeString(flow, flow());
        Run flowDeployed = arrow("", "flow", "deploy", "-f", flow.toString());
        assertThat(flowDeployed.status()).as(flowDeployed.stderr()).isZero();

        Map<String, Integer> inputs = new HashMap<>();
        for (int k = 0; k < RUNS; k++) {
            Run started = arrow("", "flow", "start", "twenty", "--data", "{\"n\": " + (k * 100) + "}");
            assertThat(started.status()).as(started.stderr()).isZero();
            inputs.put(started.stdout().strip(), k * 100);
        }

        for (int kill = 0; kill < KILLS; kill++) {
            Thread.sleep(300 + random.nextInt(2200));
            node.destroyForcibly();
            assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
            startNode();
        }

        String why = "seed " + seed;
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            for (String id : inputs.keySet()) {
                if (run(id).path("status").asText().equals("running")) {
                    return false;
                }
            }
            return true;
        });
        JsonNode listed = Json.parse(arrow("", "flow", "runs", "twenty", "--json").stdout()).path("runs");
        assertThat(listed.size()).as(why).isEqualTo(RUNS);

        for (var entry : inputs.entrySet()) {
            JsonNode run = run(entry.getKey());
            assertThat(run.path("status").asText()).as("%s: %s", why, run).isEqualTo("succeeded");
            assertThat(run.path("output").path("n").asInt()).as(why).isEqualTo(2 * entry.getValue() + 25);
        }
        Map<String, TreeSet<Integer>> called = calledAttempts();
        int reruns = 0;
        for (var entry : inputs.entrySet()) {
            JsonNode run = run(entry.getKey());
            List<JsonNode> calls = new ArrayList<>();
            run.path("steps").forEach(step -> {
                if (step.path("kind").asText().equals("call")) {
                    calls.add(step);
                }
            });
            assertThat(calls).as(why).hasSize(20);
            for (JsonNode step : calls) {
                String path = step.path("path").asText();
                int attempts = step.path("attempt").asInt();
                TreeSet<Integer> made = called.getOrDefault(entry.getKey() + ":" + path, new TreeSet<>());
                // An attempt a kill cut off before the arrow ran wrote nothing; the last one, which succeeded, did.
                assertThat(made).as("%s: the calls of %s against its %d attempts", why, path, attempts)
                        .isSubsetOf(range(attempts)).contains(attempts);
                reruns += made.size() - 1;
            }
        }
        assertThat(reruns).as("%s: calls made again, at most those a kill can cut off", why)
                .isLessThanOrEqualTo(KILLS * RUNS * IN_FLIGHT_PER_RUN);
    }

    private JsonNode run(String id) throws Exception {
        Run described = arrow("", "flow", "describe", id, "--json");
        assertThat(described.status()).as(described.stderr()).isZero();
        return Json.parse(described.stdout());
    }

    /** The attempts each step's calls wrote, by "run:path", from the keys "run:path:attempt". */
    private Map<String, TreeSet<Integer>> calledAttempts() throws Exception {
        Run keys = arrow("", "kv", "ls", "calls", "--json");
        assertThat(keys.status()).as(keys.stderr()).isZero();
        Map<String, TreeSet<Integer>> attempts = new HashMap<>();
        for (JsonNode key : Json.parse(keys.stdout()).path("keys")) {
            String text = key.path("key").asText().replace('~', '/'); // a path can't hold an encoded '/'

            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                continue; // the test's own key, which made the store
            }
            attempts.computeIfAbsent(text.substring(0, colon), step -> new TreeSet<>())
                    .add(Integer.parseInt(text.substring(colon + 1)));
        }
        return attempts;
    }

    private static List<Integer> range(int attempts) {
        List<Integer> all = new ArrayList<>();
        for (int i = 1; i <= attempts; i++) {
            all.add(i);
        }
        return all;
    }
}
