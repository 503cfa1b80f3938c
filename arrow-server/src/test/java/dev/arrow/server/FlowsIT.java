package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.invocations.DispatchSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flows on a real node with real exec arrows: deploy, start and wait; definitions refused at
 * deploy with their path; a run pinned to its revision; a listen satisfied by a posted event;
 * cancel; redrive after the arrow is fixed; a flow started by an event; an ASL import; metrics.
 */
class FlowsIT {

    /** {"n": N} in, {"n": 2N} out. */
    private static final String DOUBLE = """
            python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"n": d["n"] * 2}))'
            """;
    /** {"n": N} in, {"n": N+1, "key": the idempotency key it was given} out. */
    private static final String INC = """
            python3 -c 'import json,os,sys; d=json.load(sys.stdin); print(json.dumps({"n": d["n"] + 1, "key": os.environ.get("ARROW_IDEMPOTENCY_KEY")}))'
            """;
    private static final String FAILING = "echo 'not today' >&2; exit 3";

    private static final String MATH = """
            document:
              dsl: '1.0.0'
              namespace: test
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

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(0));
        client = new NodeClient(node);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aSequenceOfTwoExecArrowsRunsToItsOutputWithEachStepRecorded() throws Exception {
        deployExec("double", DOUBLE);
        deployExec("inc", INC);

        NodeClient.Reply deployed = deployFlow(MATH);
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        assertThat(deployed.json().path("name").asText()).isEqualTo("math");
        assertThat(deployed.json().path("revision").asInt()).isEqualTo(1);
        assertThat(deployed.json().path("language").asText()).isEqualTo("dsl");
        // The same source again is the same revision.
        NodeClient.Reply again = deployFlow(MATH);
        assertThat(again.status()).as(again.text()).isEqualTo(200);
        assertThat(again.json().path("revision").asInt()).isEqualTo(1);

        JsonNode run = startAndWait("math", "{\"n\": 5}");
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("output").path("n").asInt()).isEqualTo(11);
        assertThat(run.path("startedBy").asText()).isEqualTo("api");
        String id = run.path("id").asText();
        // The exec arrow saw the call's idempotency key: the run, the step's path, the attempt.
        assertThat(run.path("output").path("key").asText()).startsWith(id).contains("/do/1/inc");

        JsonNode described = client.get("/v1/flows/math/runs/" + id).json();
        List<String> paths = new ArrayList<>();
        described.path("steps").forEach(step -> {
            paths.add(step.path("path").asText());
            assertThat(step.path("status").asText()).as(step.toString()).isEqualTo("succeeded");
        });
        assertThat(paths).containsExactly("/do/0/double", "/do/1/inc");
        assertThat(described.path("steps").get(0).path("output").path("n").asInt()).isEqualTo(10);

        // Any flow's run is found by id under '-'; every run is listed there.
        assertThat(client.get("/v1/flows/-/runs/" + id).status()).isEqualTo(200);
        assertThat(client.get("/v1/flows/-/runs").json().path("runs").findValuesAsText("id")).contains(id);
        assertThat(client.get("/v1/flows/math/runs?status=succeeded").json().path("runs").findValuesAsText("id")).contains(id);
        assertThat(client.get("/v1/flows/math").json().path("source").asText()).isEqualTo(MATH);
        assertThat(client.get("/v1/flows").json().path("flows").findValuesAsText("name")).containsExactly("math");

        // The calls are invocations made by a flow.
        JsonNode invocations = client.get("/v1/invocations?arrow=double").json();
        assertThat(invocations.path("invocations").get(0).path("trigger").asText()).isEqualTo("flow");

        String metrics = client.get("/metrics").text();
        assertThat(metrics).contains("arrow_flow_runs_started_total 1.0", "arrow_flow_runs_succeeded_total 1.0",
                "arrow_flow_runs_running", "arrow_flow_step_duration_seconds_count{kind=\"call\"}");
    }

    @Test
    void definitionsAreRefusedAtDeployWithThePathOfTheTaskAtFault() throws Exception {
        NodeClient.Reply missing = deployFlow("""
                document: {dsl: '1.0.0', namespace: test, name: lost, version: '1.0.0'}
                do:
                  - first:
                      set: {a: 1}
                  - nowhere:
                      call: arrow
                      with: {name: no-such-arrow}
                """);
        assertThat(missing.status()).as(missing.text()).isEqualTo(400);
        assertThat(missing.json().path("error").path("field").asText()).startsWith("/do/1/nowhere");
        assertThat(missing.json().path("error").path("message").asText()).contains("no-such-arrow");

        NodeClient.Reply badJq = deployFlow("""
                document: {dsl: '1.0.0', namespace: test, name: badjq, version: '1.0.0'}
                do:
                  - shape:
                      set:
                        a: "${ .items | map( }"
                """);
        assertThat(badJq.status()).as(badJq.text()).isEqualTo(400);
        assertThat(badJq.json().path("error").path("field").asText()).startsWith("/do/0/shape");

        NodeClient.Reply language = client.post("/v1/flows?language=bpmn", "application/yaml",
                MATH.getBytes(StandardCharsets.UTF_8));
        assertThat(language.status()).isEqualTo(400);
        assertThat(language.json().path("error").path("field").asText()).isEqualTo("language");

        NodeClient.Reply empty = client.post("/v1/flows", "application/yaml", new byte[0]);
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.json().path("error").path("field").asText()).isEqualTo("body");

        assertThat(client.get("/v1/flows").json().path("flows").size()).isZero();
        NodeClient.Reply none = client.get("/v1/flows/lost");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.json().path("error").path("field").asText()).isEqualTo("name");
        assertThat(client.postJson("/v1/flows/lost/runs", "{}").status()).isEqualTo(404);
        assertThat(client.get("/v1/flows/-/runs/nope").status()).isEqualTo(404);
        NodeClient.Reply status = client.get("/v1/flows/-/runs?status=sleepy");
        assertThat(status.status()).isEqualTo(400);
        assertThat(status.json().path("error").path("field").asText()).isEqualTo("status");
    }

    @Test
    void aRunStaysOnItsRevisionWhileANewOneIsDeployedAndItsListenTakesAPostedEvent() throws Exception {
        NodeClient.Reply first = deployFlow(approval(1));
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        String waiting = start("approval", "{\"order\": 7}").path("id").asText();
        awaitStep(waiting, "/do/0/approve", "waiting");

        NodeClient.Reply second = deployFlow(approval(2));
        assertThat(second.status()).as(second.text()).isEqualTo(201);
        assertThat(second.json().path("revision").asInt()).isEqualTo(2);
        assertThat(client.get("/v1/flows/approval/revisions").json().path("revisions").findValuesAsText("revision"))
                .containsExactly("1", "2");

        NodeClient.Reply event = client.post("/v1/events", "application/cloudevents+json", """
                {"specversion":"1.0","id":"a1","source":"/desk","type":"com.example.approved","data":{"by":"ann"}}
                """.getBytes(StandardCharsets.UTF_8));
        assertThat(event.status()).as(event.text()).isEqualTo(202);

        JsonNode run = awaitEnd(waiting);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("revision").asInt()).isEqualTo(1);
        assertThat(run.path("output").path("revision").asInt()).isEqualTo(1);
        assertThat(run.path("output").path("by").asText()).isEqualTo("ann");
    }

    @Test
    void aRestartedNodeResumesAWaitingRunAndKeepsAFlowsEventStart() throws Exception {
        assertThat(deployFlow(approval(1)).status()).isEqualTo(201);
        assertThat(deployFlow("""
                document: {dsl: '1.0.0', namespace: test, name: greeter, version: '1.0.0'}
                schedule:
                  on:
                    one:
                      with: {type: com.example.hello}
                do:
                  - greet:
                      set:
                        greeting: "${ \\"hello \\" + .data.name }"
                """).status()).isEqualTo(201);
        String waiting = start("approval", "{}").path("id").asText();
        awaitStep(waiting, "/do/0/approve", "waiting");

        node.close();
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withPrewarm(0));
        client = new NodeClient(node);

        assertThat(client.post("/v1/events", "application/cloudevents+json", """
                {"specversion":"1.0","id":"a9","source":"/desk","type":"com.example.approved","data":{"by":"cy"}}
                """.getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(202);
        JsonNode run = awaitEnd(waiting);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("output").path("by").asText()).isEqualTo("cy");

        assertThat(client.post("/v1/events", "application/cloudevents+json", """
                {"specversion":"1.0","id":"h9","source":"/door","type":"com.example.hello","data":{"name":"di"}}
                """.getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                client.get("/v1/flows/greeter/runs?status=succeeded").json().path("runs").size() == 1);
        assertThat(client.get("/v1/flows/greeter/runs").json().path("runs").get(0).path("output").path("greeting")
                .asText()).isEqualTo("hello di");
    }

    @Test
    void aWaitingRunIsCancelledOnce() throws Exception {
        NodeClient.Reply deployed = deployFlow("""
                document: {dsl: '1.0.0', namespace: test, name: sleepy, version: '1.0.0'}
                do:
                  - nap:
                      wait: {hours: 1}
                """);
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        String id = start("sleepy", "").path("id").asText();
        awaitStep(id, "/do/0/nap", "waiting");

        NodeClient.Reply cancelled = client.postJson("/v1/flows/sleepy/runs/" + id + "/cancel", "{}");
        assertThat(cancelled.status()).as(cancelled.text()).isEqualTo(200);
        assertThat(cancelled.json().path("status").asText()).isEqualTo("cancelled");
        NodeClient.Reply again = client.postJson("/v1/flows/sleepy/runs/" + id + "/cancel", "{}");
        assertThat(again.status()).as(again.text()).isEqualTo(409);
        NodeClient.Reply redrive = client.postJson("/v1/flows/-/runs/" + id + "/redrive", "{}");
        assertThat(redrive.status()).as(redrive.text()).isEqualTo(409);
        // Under another flow's name, the run is not found.
        assertThat(client.postJson("/v1/flows/math/runs/" + id + "/cancel", "{}").status()).isEqualTo(404);
    }

    @Test
    void aFailedRunIsRedrivenFromTheStepThatFailedOnceTheArrowIsFixed() throws Exception {
        deployExec("double", DOUBLE);
        deployExec("inc", FAILING);
        assertThat(deployFlow(MATH).status()).isEqualTo(201);

        JsonNode failed = startAndWait("math", "{\"n\": 2}");
        assertThat(failed.path("status").asText()).as(failed.toString()).isEqualTo("failed");
        assertThat(failed.path("error").path("type").asText()).endsWith("/communication");
        assertThat(failed.path("error").path("instance").asText()).startsWith("/do/1/inc");
        String id = failed.path("id").asText();

        deployExec("inc", INC); // fixed
        NodeClient.Reply redriven = client.postJson("/v1/flows/math/runs/" + id + "/redrive", "{}");
        assertThat(redriven.status()).as(redriven.text()).isEqualTo(200);
        assertThat(redriven.json().path("redrives").asInt()).isEqualTo(1);

        JsonNode run = awaitEnd(id);
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("output").path("n").asInt()).isEqualTo(5);
        // The step that had succeeded gave its stored output: double ran once.
        assertThat(client.get("/v1/invocations?arrow=double").json().path("invocations").size()).isEqualTo(1);
    }

    @Test
    void aFlowDeclaringAnEventStartIsStartedOncePerEvent() throws Exception {
        NodeClient.Reply deployed = deployFlow("""
                document: {dsl: '1.0.0', namespace: test, name: greeter, version: '1.0.0'}
                schedule:
                  on:
                    one:
                      with: {type: com.example.hello}
                do:
                  - greet:
                      set:
                        greeting: "${ \\"hello \\" + .data.name }"
                """);
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        byte[] event = """
                {"specversion":"1.0","id":"h1","source":"/door","type":"com.example.hello","data":{"name":"bo"}}
                """.getBytes(StandardCharsets.UTF_8);
        assertThat(client.post("/v1/events", "application/cloudevents+json", event).status()).isEqualTo(202);
        assertThat(client.post("/v1/events", "application/cloudevents+json", event).status()).isEqualTo(202); // a duplicate

        var found = new java.util.concurrent.atomic.AtomicReference<JsonNode>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode runs = client.get("/v1/flows/greeter/runs?status=succeeded").json().path("runs");
            found.set(runs);
            return runs.size() == 1;
        });
        JsonNode run = found.get().get(0);
        assertThat(run.path("startedBy").asText()).isEqualTo("event");
        assertThat(run.path("output").path("greeting").asText()).isEqualTo("hello bo");

        // Deleted, the flow is no longer started by the event.
        assertThat(client.delete("/v1/flows/greeter").status()).isEqualTo(204);
        assertThat(client.delete("/v1/flows/greeter").status()).isEqualTo(404);
        assertThat(client.get("/v1/triggers").json().path("triggers").findValuesAsText("arrow"))
                .doesNotContain(NodeFlows.TARGET_PREFIX + "greeter");
    }

    @Test
    void aScheduledFlowIsStartedByItsFiringsAndNoLongerOnceDeleted() throws Exception {
        NodeClient.Reply deployed = deployFlow("""
                document: {dsl: '1.0.0', namespace: test, name: ticker, version: '1.0.0'}
                schedule:
                  every: {seconds: 1}
                do:
                  - tick:
                      set:
                        at: ${ .scheduledTime }
                        flow: ${ .flow }
                """);
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        var found = new java.util.concurrent.atomic.AtomicReference<JsonNode>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode runs = client.get("/v1/flows/ticker/runs?status=succeeded").json().path("runs");
            found.set(runs);
            return runs.size() >= 2;
        });
        JsonNode run = found.get().get(0);
        assertThat(run.path("startedBy").asText()).isEqualTo("schedule");
        assertThat(run.path("output").path("flow").asText()).isEqualTo("ticker");
        assertThat(run.path("output").path("at").asText()).isNotEmpty();
        // One run per firing: the firings' times differ.
        assertThat(found.get().findValuesAsText("id")).doesNotHaveDuplicates();
        assertThat(client.get("/v1/triggers?arrow=flow:ticker").json().path("triggers").findValuesAsText("kind"))
                .containsExactly("schedule");

        assertThat(client.delete("/v1/flows/ticker").status()).isEqualTo(204);
        assertThat(client.get("/v1/triggers").json().path("triggers").findValuesAsText("arrow"))
                .doesNotContain(NodeFlows.TARGET_PREFIX + "ticker");
    }

    @Test
    void anHttpArrowIsCalledWithTheStepsInputAsJsonAndTheIdempotencyKeyHeader() throws Exception {
        ObjectNode echo = NodeClient.JSON.createObjectNode();
        echo.put("name", "echo").put("mode", "http");
        echo.putArray("command").add("python3").add("-c").add("""
                import http.server, json, os
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        self.send_response(200)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                        out = json.dumps({"got": json.loads(body), "key": self.headers.get("Idempotency-Key"),
                                          "type": self.headers.get("Content-Type")}).encode()
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(out)))
                        self.end_headers()
                        self.wfile.write(out)
                    def log_message(self, *args):
                        pass
                http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
                """);
        NodeClient.Reply arrow = client.deploy(echo.toString());
        assertThat(arrow.status()).as(arrow.text()).isEqualTo(201);
        NodeClient.Reply deployed = deployFlow("""
                document: {dsl: '1.0.0', namespace: test, name: echoes, version: '1.0.0'}
                do:
                  - ask:
                      call: arrow
                      with:
                        name: echo
                        input:
                          question: ${ .q }
                """);
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);

        JsonNode run = startAndWait("echoes", "{\"q\": \"why\"}");
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("output").path("got").path("question").asText()).isEqualTo("why");
        assertThat(run.path("output").path("type").asText()).startsWith("application/json");
        assertThat(run.path("output").path("key").asText()).startsWith(run.path("id").asText()).contains("/do/0/ask");
    }

    @Test
    void aStatesLanguageDefinitionIsImportedAndRun() throws Exception {
        deployExec("double", DOUBLE);
        deployExec("inc", INC);
        String states = """
                {"Comment": "double then add one",
                 "StartAt": "Double",
                 "States": {
                   "Double": {"Type": "Task", "Resource": "arrow:double", "Next": "Inc"},
                   "Inc": {"Type": "Task", "Resource": "arrow:inc", "End": true}}}
                """;
        NodeClient.Reply nameless = client.post("/v1/flows?language=asl", "application/json",
                states.getBytes(StandardCharsets.UTF_8));
        assertThat(nameless.status()).as(nameless.text()).isEqualTo(400);
        NodeClient.Reply deployed = client.post("/v1/flows?language=asl&name=imported", "application/json",
                states.getBytes(StandardCharsets.UTF_8));
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        assertThat(deployed.json().path("language").asText()).isEqualTo("asl");

        JsonNode run = startAndWait("imported", "{\"n\": 20}");
        assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("succeeded");
        assertThat(run.path("output").path("n").asInt()).isEqualTo(41);
    }

    // ---- helpers

    /** Listens for an approval, then sets {revision: N} beside who approved (a listen's output: the events' data). */
    private static String approval(int revision) {
        return """
                document: {dsl: '1.0.0', namespace: test, name: approval, version: '1.0.%d'}
                do:
                  - approve:
                      listen:
                        to:
                          one:
                            with: {type: com.example.approved}
                  - mark:
                      set:
                        revision: %d
                        by: "${ .[0].by }"
                """.formatted(revision, revision);
    }

    private void deployExec(String name, String script) throws Exception {
        ObjectNode body = NodeClient.JSON.createObjectNode();
        body.put("name", name);
        body.putArray("command").add("sh").add("-c").add(script);
        NodeClient.Reply deployed = client.deploy(body.toString());
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
    }

    private NodeClient.Reply deployFlow(String yaml) throws Exception {
        return client.post("/v1/flows?language=dsl", "application/yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode start(String flow, String input) throws Exception {
        NodeClient.Reply started = client.post("/v1/flows/" + flow + "/runs", "application/json",
                input.getBytes(StandardCharsets.UTF_8));
        assertThat(started.status()).as(started.text()).isEqualTo(201);
        return started.json();
    }

    private JsonNode startAndWait(String flow, String input) throws Exception {
        NodeClient.Reply started = client.post("/v1/flows/" + flow + "/runs?wait=50s", "application/json",
                input.getBytes(StandardCharsets.UTF_8));
        assertThat(started.status()).as(started.text()).isEqualTo(201);
        return started.json();
    }

    private JsonNode awaitEnd(String id) throws Exception {
        var found = new java.util.concurrent.atomic.AtomicReference<JsonNode>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode run = client.get("/v1/flows/-/runs/" + id + "?wait=10s").json();
            found.set(run);
            return !run.path("status").asText().equals("running");
        });
        return found.get();
    }

    private void awaitStep(String run, String path, String status) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (JsonNode step : client.get("/v1/flows/-/runs/" + run).json().path("steps")) {
                if (step.path("path").asText().equals(path) && step.path("status").asText().equals(status)) {
                    return true;
                }
            }
            return false;
        });
    }
}
