package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.cli.client.Json;
import org.junit.jupiter.api.Test;

/** How {@code arrow flow describe} writes a run: its steps as a tree of task names, errors on one line. */
class FlowCommandsTest {

    @Test
    void aStepsPathIsATreeOfItsTaskNames() {
        assertThat(FlowCommand.treeLabel("/do/0/validate")).isEqualTo("validate");
        assertThat(FlowCommand.treeLabel("/do/1/pay/try/0/charge")).isEqualTo("  └ charge");
        assertThat(FlowCommand.treeLabel("/do/2/ship/fork/branches/0/a")).isEqualTo("  └ a");
        assertThat(FlowCommand.treeLabel("/States/Ship")).isEqualTo("Ship");
    }

    @Test
    void anErrorIsOneLine() throws Exception {
        assertThat(FlowCommand.error(Json.parse("""
                {"type":"https://serverlessworkflow.io/spec/1.0.0/errors/communication","status":500,
                 "title":"the arrow failed","detail":"exited with 3"}""")))
                .isEqualTo("communication (500): the arrow failed - exited with 3");
        assertThat(FlowCommand.error(Json.parse("{\"type\":\"x\",\"status\":400}"))).isEqualTo("x (400)");
    }

    @Test
    void aRunIsDescribedWithItsSteps() throws Exception {
        String text = FlowCommand.describe(Json.parse("""
                {"id":"r1","flow":"orders","revision":2,"status":"failed","durationMs":84,"startedAt":"2030-01-01T00:00:00Z",
                 "startedBy":"api","redrives":1,"error":{"type":"t","status":500},
                 "steps":[{"path":"/do/0/validate","kind":"call","status":"succeeded","durationMs":31,"attempt":1},
                          {"path":"/do/1/pay/try/0/charge","kind":"call","status":"failed","durationMs":5,"attempt":2,
                           "error":{"type":"t","status":500}}]}"""));
        assertThat(text).contains("run       r1\n", "flow      orders revision 2\n", "status    failed after 84", "redrives  1\n",
                "error     t (500)\n", "steps\n");
        assertThat(text).containsPattern("validate +call +succeeded +31ms +1")
                .containsPattern("  └ charge +call +failed +5ms +2 +t \\(500\\)");
    }
}
