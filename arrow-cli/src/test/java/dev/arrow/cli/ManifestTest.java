package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {

    @TempDir
    Path dir;

    private List<Manifest.Deployable> parse(String yaml) throws CliException {
        return Manifest.parse(yaml, "arrow.yaml", dir);
    }

    @Test
    void oneArrowAsAMapping() throws Exception {
        Files.createDirectory(dir.resolve("src"));
        List<Manifest.Deployable> arrows = parse("""
                name: wordcount
                command: ["python3", "/code/wc.py"]
                env:
                  LANG: C.UTF-8
                  DEBUG: 1
                limits:
                  memory: 128m
                  cpus: 0.5
                  timeout: 10s
                network: none
                scaling: {maxInstances: 4}
                code: ./src
                """);

        assertThat(arrows).hasSize(1);
        Manifest.Deployable arrow = arrows.getFirst();
        assertThat(arrow.source()).isEqualTo("arrow.yaml");
        assertThat(arrow.spec().toString()).isEqualTo("{\"name\":\"wordcount\",\"command\":[\"python3\",\"/code/wc.py\"],"
                + "\"env\":{\"LANG\":\"C.UTF-8\",\"DEBUG\":\"1\"},\"limits\":{\"memory\":\"128m\",\"cpus\":0.5,"
                + "\"timeout\":\"10s\"},\"network\":\"none\",\"scaling\":{\"maxInstances\":4}}");
        assertThat(arrow.code()).contains(dir.resolve("src"));
    }

    @Test
    void isolationIsPassedOnAsWritten() throws Exception {
        List<Manifest.Deployable> arrows = parse("name: boxed\ncommand: [cat]\nisolation: vm\n");

        assertThat(arrows.getFirst().spec().toString())
                .isEqualTo("{\"name\":\"boxed\",\"command\":[\"cat\"],\"isolation\":\"vm\"}");
    }

    @Test
    void bindingsArePassedOnAsWritten() throws Exception {
        List<Manifest.Deployable> arrows = parse("""
                name: shop
                runtime: python3
                handler: main.handler
                bindings:
                  kv: [carts]
                  queues: [orders, refunds]
                  buckets: [images]
                """);
        assertThat(arrows.getFirst().spec().get("bindings").toString()).isEqualTo(
                "{\"kv\":[\"carts\"],\"queues\":[\"orders\",\"refunds\"],\"buckets\":[\"images\"]}");
        assertThatThrownBy(() -> parse("""
                name: shop
                command: cat
                bindings:
                  tables: [x]
                """)).isInstanceOf(CliException.class).hasMessageContaining("unknown field 'tables' in bindings");
    }

    @Test
    void triggersArePassedOnAsWritten() throws Exception {
        List<Manifest.Deployable> arrows = parse("""
                name: shop
                command: cat
                bindings: {queues: [orders]}
                triggers:
                  - schedule: "0 */5 * * * *"
                  - event: {type: com.example.order.created, source: {prefix: /shop/}}
                  - queue: orders
                    batchSize: 10
                """);
        assertThat(arrows.getFirst().spec().get("triggers").toString()).isEqualTo(
                "[{\"schedule\":\"0 */5 * * * *\"},{\"event\":{\"type\":\"com.example.order.created\","
                        + "\"source\":{\"prefix\":\"/shop/\"}}},{\"queue\":\"orders\",\"batchSize\":10}]");
    }

    @Test
    void severalAsDocuments() throws Exception {
        List<Manifest.Deployable> arrows = parse("""
                ---
                name: one
                command: cat
                ---
                name: two
                command: python3  -u /code/two.py
                ---
                """);

        assertThat(arrows).extracting(Manifest.Deployable::name).containsExactly("one", "two");
        assertThat(arrows.get(1).spec().get("command").toString()).isEqualTo("[\"python3\",\"-u\",\"/code/two.py\"]");
        assertThat(arrows.get(1).source()).isEqualTo("arrow.yaml, document 2");
        assertThat(arrows.get(0).code()).isEmpty();
    }

    @Test
    void severalAsAList() throws Exception {
        List<Manifest.Deployable> arrows = parse("""
                arrows:
                  - name: one
                    command: [cat]
                  - name: two
                    command: [wc, -l]
                    mode: exec
                """);

        assertThat(arrows).extracting(Manifest.Deployable::name).containsExactly("one", "two");
        assertThat(arrows.get(1).spec().toString()).isEqualTo("{\"name\":\"two\",\"mode\":\"exec\",\"command\":[\"wc\",\"-l\"]}");
        assertThat(arrows.get(1).source()).isEqualTo("arrow.yaml, arrows[1]");
    }

    @Test
    void codeIsRelativeToTheManifestsDirectory() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("project"));
        Files.createDirectories(sub.resolve("code"));
        Path manifest = Files.writeString(sub.resolve("arrow.yaml"), "name: a\ncommand: [x]\ncode: code\n");

        assertThat(Manifest.read(manifest).getFirst().code()).contains(sub.resolve("code"));
    }

    @Test
    void missingCodeIsNamed() {
        assertThatThrownBy(() -> parse("name: a\ncommand: [x]\ncode: ./nope\n"))
                .isInstanceOf(CliException.class)
                .hasMessage("arrow.yaml: a: code ./nope (" + dir.resolve("nope") + ") does not exist");
    }

    @Test
    void unknownFieldIsNamedWithFileAndLine() {
        assertThatThrownBy(() -> parse("name: a\ncommand: [x]\nmemroy: 1m\n"))
                .isInstanceOf(CliException.class)
                .hasMessage("arrow.yaml line 3: unknown field 'memroy' (known: arrows, bindings, bundle, code, command, env,"
                        + " handler, http, isolation, limits, mode, name, network, runtime, scaling, triggers)");
    }

    @Test
    void unknownNestedFieldSaysWhere() {
        assertThatThrownBy(() -> parse("""
                arrows:
                  - name: a
                    command: [x]
                    limits:
                      memroy: 1m
                """))
                .hasMessage("arrow.yaml line 5: unknown field 'memroy' in arrows[0].limits"
                        + " (known: cpus, memory, pids, timeout, tmpfs)");
    }

    @Test
    void wrongShapesAreExplained() {
        assertThatThrownBy(() -> parse("name: a\ncommand: [x]\nenv: [A]\n"))
                .hasMessage("arrow.yaml line 3: env must be a mapping");
        assertThatThrownBy(() -> parse("- a\n- b\n")).hasMessage("arrow.yaml line 1: a document must be a mapping: one arrow, or arrows: and a list of them");
        assertThatThrownBy(() -> parse("name: a\ncommand: {x: 1}\n")).hasMessage(
                "arrow.yaml: a: command must be a list of strings or one string");
        assertThatThrownBy(() -> parse("name: 'a\ncommand: [x]\n")).hasMessageStartingWith("arrow.yaml line ")
                .hasMessageContaining("invalid YAML");
    }

    @Test
    void incompleteOrContradictoryArrows() {
        assertThatThrownBy(() -> parse("command: [x]\n")).hasMessage("arrow.yaml: an arrow needs a name");
        assertThatThrownBy(() -> parse("name: a\n")).hasMessage("arrow.yaml: a: command is required");
        assertThatThrownBy(() -> parse("name: a\ncommand: '  '\n")).hasMessage("arrow.yaml: a: command is empty");
        assertThatThrownBy(() -> parse("name: a\ncommand: [x]\narrows: []\n"))
                .hasMessage("arrow.yaml: a document lists arrows: or is one arrow, not both");
        assertThatThrownBy(() -> parse("name: a\ncommand: [x]\n---\nname: a\ncommand: [y]\n"))
                .hasMessage("arrow.yaml: arrow 'a' is defined twice");
        assertThatThrownBy(() -> parse("")).hasMessage("arrow.yaml: no arrow in the manifest");
        assertThatThrownBy(() -> parse("name: a\ncommand: [x]\ncode: .\nbundle: sha256:00\n"))
                .hasMessage("arrow.yaml: a: give code or bundle, not both");
    }

    @Test
    void missingManifest() {
        assertThatThrownBy(() -> Manifest.read(dir.resolve("none.yaml")))
                .hasMessage("manifest " + dir.resolve("none.yaml") + " does not exist");
    }
}
