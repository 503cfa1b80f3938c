package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code arrow flow} against a real {@code arrow serve} process: a flow of two exec arrows deployed,
 * started and waited for, listed, described as a tree of steps; a failing run's exit status and
 * error, then its redrive once the arrow is fixed; a definition refused with its path.
 */
class FlowCliIT extends ServedNode {

    private static final String ARROWS = """
            arrows:
              - name: double
                command: [python3, -c, 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"n": d["n"] * 2}))']
              - name: inc
                command: [python3, -c, 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"n": d["n"] + 1}))']
            """;

    private static final String BROKEN = """
            arrows:
              - name: inc
                command: [sh, -c, 'echo "inc is down" >&2; exit 4']
            """;

    private static final String FLOW = """
            document:
              dsl: '1.0.0'
              namespace: cli
              name: math
              version: '1.0.0'
            do:
              - double:
                  call: arrow
                  with:
                    name: double
              - inc:
                  call: arrow
                  with:
                    name: inc
            """;

    @Test
    void aFlowIsDeployedStartedDescribedAndRedrivenFromTheCli() throws Exception {
        startNode();
        Path arrows = home.resolve("arrows.yaml");
        Files.writeString(arrows, ARROWS);
        assertThat(arrow("", "deploy", "-f", arrows.toString()).status()).isZero();
        Path flow = home.resolve("flow.yaml");
        Files.writeString(flow, FLOW);

        Run deployed = arrow("", "flow", "deploy", "-f", flow.toString());
        assertThat(deployed.status()).as(deployed.stderr()).isZero();
        assertThat(deployed.stdout()).isEqualTo("deployed math revision 1\n");
        Run listed = arrow("", "flow", "ls");
        assertThat(listed.stdout()).contains("NAME").containsPattern("math +1 +dsl");
        assertThat(arrow("", "flow", "revisions", "math").stdout()).containsPattern("1 +dsl");

        Run started = arrow("", "flow", "start", "math", "--data", "{\"n\": 4}", "--wait");
        assertThat(started.status()).as(started.stderr()).isZero();
        assertThat(Json.parse(started.stdout()).path("n").asInt()).isEqualTo(9);

        Run json = arrow("", "flow", "runs", "math", "--json");
        JsonNode runs = Json.parse(json.stdout()).path("runs");
        assertThat(runs.size()).isEqualTo(1);
        String id = runs.get(0).path("id").asText();
        assertThat(arrow("", "flow", "runs").stdout()).contains(id).containsPattern("math +1 +succeeded");
        assertThat(arrow("", "flow", "runs", "--status", "failed").stdout()).doesNotContain(id);

        Run described = arrow("", "flow", "describe", id);
        assertThat(described.status()).as(described.stderr()).isZero();
        assertThat(described.stdout()).contains("status    succeeded").contains("output    {\"n\":9}")
                .containsPattern("double +call +succeeded").containsPattern("inc +call +succeeded");

        // A failing arrow: --wait exits 1 with the run's error; fixed, the run is redriven from there.
        Path broken = home.resolve("broken.yaml");
        Files.writeString(broken, BROKEN);
        assertThat(arrow("", "deploy", "-f", broken.toString()).status()).isZero();
        Run failed = arrow("", "flow", "start", "math", "--data", "{\"n\": 1}", "--wait");
        assertThat(failed.status()).isEqualTo(1);
        assertThat(failed.stderr()).contains("failed").contains("communication").contains("inc is down");
        String failedId = Json.parse(arrow("", "flow", "runs", "math", "--status", "failed", "--json").stdout())
                .path("runs").get(0).path("id").asText();
        assertThat(arrow("", "flow", "describe", failedId).stdout()).containsPattern("inc +call +failed");

        assertThat(arrow("", "deploy", "-f", arrows.toString()).status()).isZero();
        Run redriven = arrow("", "flow", "redrive", failedId);
        assertThat(redriven.status()).as(redriven.stderr()).isZero();
        assertThat(redriven.stdout()).startsWith("run " + failedId + " redriven (1)");

        Run cancel = arrow("", "flow", "cancel", "no-such-run");
        assertThat(cancel.status()).isEqualTo(3);

        Files.writeString(flow, FLOW.replace("name: inc\n", "name: nope\n"));
        Run refused = arrow("", "flow", "deploy", "-f", flow.toString());
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.stderr()).contains("/do/1/inc").contains("nope");

        // States Language, the file given as the argument: the flow is named after it.
        Path states = home.resolve("states.json");
        Files.writeString(states, """
                {"StartAt": "Double", "States": {
                  "Double": {"Type": "Task", "Resource": "arrow:double", "ResultPath": "$.doubled", "Next": "Done"},
                  "Done": {"Type": "Pass", "Parameters": {"n.$": "$.doubled.n"}, "End": true}}}""");
        Run imported = arrow("", "flow", "deploy", "--from", "asl", states.toString());
        assertThat(imported.status()).as(imported.stderr()).isZero();
        assertThat(imported.stdout()).isEqualTo("deployed states revision 1\n");
        Run asl = arrow("", "flow", "start", "states", "--data", "{\"n\": 21}", "--wait");
        assertThat(asl.status()).as(asl.stderr()).isZero();
        assertThat(Json.parse(asl.stdout()).path("n").asInt()).isEqualTo(42);
        assertThat(arrow("", "flow", "deploy", "-f", flow.toString(), flow.toString()).status()).isEqualTo(125);

        assertThat(arrow("", "flow", "rm", "math").stdout()).isEqualTo("deleted math\n");
        assertThat(arrow("", "flow", "ls").stdout()).doesNotContain("math");
    }

    @Test
    void theOrderFlowExampleRunsAsItsCommentsSay() throws Exception {
        startNode();
        Path example = Path.of("..", "examples", "order-flow").toAbsolutePath();
        Run arrows = arrow("", "deploy", "-f", example.resolve("arrow.yaml").toString());
        assertThat(arrows.status()).as(arrows.stderr()).isZero();
        Run deployed = arrow("", "flow", "deploy", "-f", example.resolve("flow.yaml").toString());
        assertThat(deployed.status()).as(deployed.stderr()).isZero();

        Run big = arrow("", "flow", "start", "order-flow", "--data", "@" + example.resolve("order.json"), "--wait");
        assertThat(big.status()).as(big.stderr()).isZero();
        JsonNode receipt = Json.parse(big.stdout());
        assertThat(receipt.path("total").asDouble()).isEqualTo(117.0); // 130, 10% off
        assertThat(receipt.path("receipt").asText()).startsWith("order 7 for ann: 117");

        Run small = arrow("", "flow", "start", "order-flow", "--data",
                "{\"id\": 8, \"customer\": \"bo\", \"items\": [{\"price\": 2, \"qty\": 1}]}", "--wait");
        assertThat(small.status()).as(small.stderr()).isZero();
        assertThat(Json.parse(small.stdout()).path("total").asInt()).isEqualTo(2);

        Run empty = arrow("", "flow", "start", "order-flow", "--data", "{\"id\": 9, \"items\": []}", "--wait");
        assertThat(empty.status()).as(empty.stderr()).isZero();
        assertThat(Json.parse(empty.stdout()).path("rejected").asBoolean()).isTrue();
    }
}
