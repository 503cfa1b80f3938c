package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.platform.invocations.DispatchSettings;
import dev.arrow.sandbox.vm.VmDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code isolation: vm} on a real node: a VM arrow beside a process one (TCG where there is no KVM). */
class VmIsolationIT {

    @TempDir
    Path home;

    private Node node;
    private NodeClient client;

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT));
        client = new NodeClient(node);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private static String spec(String name, String script, String extra) {
        return "{\"name\":\"" + name + "\",\"command\":[\"sh\",\"-c\"," + NodeClient.JSON.valueToTree(script)
                + "]" + extra + "}";
    }

    @Test
    void aVmArrowRunsInAVmAndAProcessArrowBesideItDoesNot() throws Exception {
        Optional<String> missing = VmDriver.unavailableReason();
        missing.ifPresent(reason -> System.err.println("VmIsolationIT: the VM parts skipped: " + reason));
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElseThrow());

        NodeClient.Reply deployed = client.deploy(spec("boxed", "tr a-z A-Z; echo in-a-vm >&2", ",\"isolation\":\"vm\""));
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);
        assertThat(deployed.json().path("spec").path("isolation").asText()).isEqualTo("vm");
        assertThat(client.deploy(spec("plain", "tr a-z A-Z", "")).status()).isEqualTo(201);

        NodeClient.Reply boxed = client.invoke("boxed", "hello");
        assertThat(boxed.status()).as(boxed.text()).isEqualTo(200);
        assertThat(boxed.text()).isEqualTo("HELLO");
        String id = boxed.header("X-Arrow-Invocation-Id");
        JsonNode record = client.get("/v1/invocations/" + id).json();
        assertThat(record.path("status").asText()).isEqualTo("succeeded");
        assertThat(record.path("isolation").asText()).isEqualTo("vm");
        String accelerator = record.path("accelerator").asText();
        assertThat(accelerator).isIn("kvm", "tcg");
        assertThat(client.get("/v1/invocations/" + id + "/logs").text()).isEqualTo("in-a-vm\n");

        NodeClient.Reply plain = client.invoke("plain", "hello");
        assertThat(plain.text()).isEqualTo("HELLO");
        JsonNode plainRecord = client.get("/v1/invocations/" + plain.header("X-Arrow-Invocation-Id")).json();
        assertThat(plainRecord.path("isolation").asText()).isEqualTo("process");
        assertThat(plainRecord.has("accelerator")).isFalse();

        String metrics = client.get("/metrics").text();
        assertThat(metrics).contains("arrow_vm_accelerator{accelerator=\"" + accelerator + "\"} 1.0");
        assertThat(metrics).contains("arrow_vm_invocations_total{outcome=\"success\"} 1.0");
    }

    /** An http-mode arrow in a VM: the gateway reaches its port in qemu's jail, forwarded into the guest. */
    @Test
    void anHttpModeVmArrowServesThroughTheGateway() throws Exception {
        Optional<String> missing = VmDriver.unavailableReason();
        missing.ifPresent(reason -> System.err.println("VmIsolationIT: the VM parts skipped: " + reason));
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElseThrow());
        String app = String.join("\n",
                "import http.server, os",
                "class Handler(http.server.BaseHTTPRequestHandler):",
                "    def do_GET(self):",
                "        body = ('hello from a vm: ' + self.path).encode()",
                "        self.send_response(200)",
                "        self.send_header('Content-Length', str(len(body)))",
                "        self.end_headers()",
                "        self.wfile.write(body)",
                "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), Handler).serve_forever()");

        NodeClient.Reply deployed = client.deploy("{\"name\":\"served\",\"mode\":\"http\",\"isolation\":\"vm\","
                + "\"command\":[\"python3\",\"-c\"," + NodeClient.JSON.valueToTree(app) + "]}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);

        NodeClient.Reply first = client.send("GET", "/a/served/greeting", null, null, null);
        NodeClient.Reply second = client.send("GET", "/a/served/again", null, null, null);

        assertThat(first.status()).as(first.text()).isEqualTo(200);
        assertThat(first.text()).isEqualTo("hello from a vm: /greeting");
        assertThat(second.text()).isEqualTo("hello from a vm: /again");
        JsonNode record = client.record(second.header("X-Arrow-Invocation-Id")); // a gateway's record may be written just after
        assertThat(record.path("isolation").asText()).isEqualTo("vm");
        assertThat(record.path("accelerator").asText()).isIn("kvm", "tcg");
    }

    /** A language runtime's handler in a VM: the runtime's directory is one more share, its instance stays warm. */
    @Test
    void aPythonRuntimeHandlerRunsWarmInAVm() throws Exception {
        Optional<String> missing = VmDriver.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElse(""));
        byte[] handler = """
                calls = 0
                def handler(event, context):
                    global calls
                    calls += 1
                    return {"calls": calls, "hello": event.get("name")}
                """.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        NodeClient.Reply uploaded = client.post("/v1/bundles", "application/gzip",
                HttpModeIT.tarGz("main.py", handler, "README", "x".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        String code = uploaded.json().path("digest").asText();
        NodeClient.Reply deployed = client.deploy("{\"name\":\"py\",\"runtime\":\"python3\",\"handler\":\"main.handler\","
                + "\"isolation\":\"vm\",\"bundle\":\"" + code + "\"}");
        assertThat(deployed.status()).as(deployed.text()).isEqualTo(201);

        NodeClient.Reply first = client.invoke("py", "{\"name\":\"arrow\"}");
        NodeClient.Reply second = client.invoke("py", "{}");

        assertThat(first.status()).as(first.text()).isEqualTo(200);
        assertThat(first.json().path("hello").asText()).isEqualTo("arrow");
        assertThat(first.json().path("calls").asInt()).isEqualTo(1);
        assertThat(second.json().path("calls").asInt()).as("the same warm instance").isEqualTo(2);
        JsonNode record = client.record(second.header("X-Arrow-Invocation-Id"));
        assertThat(record.path("isolation").asText()).isEqualTo("vm");
    }

    /** {@code serve --vm-prewarm}: restored VMs wait for VM arrows, in /metrics, and end with the node. */
    @Test
    void theNodesVmPoolWaitsForVmArrowsAndEndsWithTheNode() throws Exception {
        Optional<String> missing = VmDriver.unavailableReason();
        assumeTrue(missing.isEmpty(), () -> "the VM tier cannot run here: " + missing.orElse(""));
        node.close();
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withVmPrewarm(1));
        client = new NodeClient(node);

        await().atMost(Duration.ofSeconds(120)).until(() -> client.get("/metrics").text().contains("arrow_vm_prewarm_ready 1.0"));
        String metrics = client.get("/metrics").text();
        assertThat(metrics).contains("arrow_vm_prewarm_target 1.0");
        assertThat(metrics).doesNotContain("arrow_vm_prewarm_memory_bytes 0.0");
        assertThat(restoredQemus()).as("the pooled VM's qemu").isNotEmpty();

        assertThat(client.deploy(spec("boxed", "tr a-z A-Z", ",\"isolation\":\"vm\"")).status()).isEqualTo(201);
        NodeClient.Reply boxed = client.invoke("boxed", "pooled");
        assertThat(boxed.text()).as(boxed.text()).isEqualTo("POOLED");

        node.close();
        node = null;
        await().atMost(Duration.ofSeconds(20)).until(() -> restoredQemus().isEmpty());
    }

    /** Processes whose command line names a restored VM's RAM file, as the VM tier's qemu does. */
    private static java.util.List<Long> restoredQemus() throws java.io.IOException {
        try (var entries = java.nio.file.Files.list(Path.of("/proc"))) {
            return entries.filter(dir -> dir.getFileName().toString().matches("\\d+")).filter(dir -> {
                try {
                    return new String(java.nio.file.Files.readAllBytes(dir.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8)
                            .contains("mem-path=/vm/ram");
                } catch (java.io.IOException gone) {
                    return false;
                }
            }).map(dir -> Long.parseLong(dir.getFileName().toString())).toList();
        }
    }

    @Test
    void aVmArrowTheNodeCannotRunIsRefusedAtDeployNamingIsolation() throws Exception {
        NodeClient.Reply unknown = client.deploy(spec("odd", "true", ",\"isolation\":\"container\""));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("error").path("field").asText()).isEqualTo("isolation");

        Optional<String> missing = VmDriver.unavailableReason();
        NodeClient.Reply exec = client.deploy(spec("boxed", "true", ",\"isolation\":\"vm\""));
        if (missing.isPresent()) {
            assertThat(exec.status()).isEqualTo(400);
            assertThat(exec.json().path("error").path("field").asText()).isEqualTo("isolation");
            assertThat(exec.json().path("error").path("message").asText()).contains(missing.get());
        } else {
            assertThat(exec.status()).isEqualTo(201);
        }
        assertThat(client.get("/v1/arrows/odd").status()).isEqualTo(404);
    }
}
