package dev.arrow.events.broker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.events.triggers.DeliveryPolicy;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.filters.Filters;
import dev.arrow.platform.arrows.Mode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunnerCallerTest {

    private static final byte[] STRUCTURED = """
            {"specversion":"1.0","id":"e1","source":"/shop","type":"t.created","datacontenttype":"application/json","data":{"n":1}}"""
            .getBytes(StandardCharsets.UTF_8);
    private static final EventEnvelope EVENT = new EventEnvelope("/shop", "e1", "t.created", Instant.EPOCH, STRUCTURED);

    /** Records each run and answers with what it is given. */
    private static final class Runner implements ArrowRunner {
        final Mode mode;
        final ArrowRunner.Result answer;
        final List<Map<String, String>> headers = new ArrayList<>();
        final List<String> bodies = new ArrayList<>();
        final List<dev.arrow.platform.invocations.Trigger> made = new ArrayList<>();

        Runner(Mode mode, ArrowRunner.Result answer) {
            this.mode = mode;
            this.answer = answer;
        }

        @Override
        public Optional<Mode> mode(String arrow) {
            return Optional.ofNullable(mode);
        }

        @Override
        public Result run(String arrow, dev.arrow.platform.invocations.Trigger trigger, Map<String, String> sent, byte[] body) {
            made.add(trigger);
            headers.add(sent);
            bodies.add(new String(body, StandardCharsets.UTF_8));
            return answer;
        }
    }

    private static Trigger event() {
        return new Trigger.Event(Filters.parseShorthand(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("type", "t.created"), "event"), DeliveryPolicy.DEFAULT);
    }

    @Test
    void anExecArrowGetsTheStructuredEventAndItsStructuredAnswerIsAReply() throws Exception {
        var runner = new Runner(Mode.EXEC, new ArrowRunner.Result.Succeeded("""
                {"specversion":"1.0","id":"r1","source":"/worker","type":"t.done"}
                """.getBytes(StandardCharsets.UTF_8), Map.of()));
        ArrowCaller.Outcome outcome = new RunnerCaller(runner).call("a", event(), EVENT);
        assertThat(runner.bodies.getFirst()).isEqualTo(new String(STRUCTURED, StandardCharsets.UTF_8));
        assertThat(runner.made).containsExactly(dev.arrow.platform.invocations.Trigger.EVENT);
        assertThat(outcome).isInstanceOfSatisfying(ArrowCaller.Outcome.Succeeded.class,
                succeeded -> assertThat(succeeded.reply()).hasValueSatisfying(reply -> {
                    assertThat(reply.getId()).isEqualTo("r1");
                    assertThat(reply.getType()).isEqualTo("t.done");
                }));
    }

    @Test
    void anExecArrowsPlainOutputIsNoReply() throws Exception {
        for (String output : List.of("done\n", "{\"n\":1}", "{not json", "")) {
            var runner = new Runner(Mode.EXEC, new ArrowRunner.Result.Succeeded(output.getBytes(StandardCharsets.UTF_8), Map.of()));
            assertThat(new RunnerCaller(runner).call("a", event(), EVENT)).as(output)
                    .isEqualTo(new ArrowCaller.Outcome.Succeeded(Optional.empty()));
        }
    }

    @Test
    void anHttpArrowGetsBinaryModeAndItsCeHeadersAreAReply() throws Exception {
        var runner = new Runner(Mode.HTTP, new ArrowRunner.Result.Succeeded("{\"ok\":true}".getBytes(StandardCharsets.UTF_8),
                Map.of("ce-specversion", "1.0", "ce-id", "r2", "ce-source", "/worker", "ce-type", "t.done",
                        "content-type", "application/json")));
        ArrowCaller.Outcome outcome = new RunnerCaller(runner).call("a", event(), EVENT);
        Map<String, String> sent = runner.headers.getFirst();
        assertThat(sent).containsEntry("ce-id", "e1").containsEntry("ce-source", "/shop").containsEntry("ce-type", "t.created")
                .containsEntry("ce-specversion", "1.0").containsEntry("Content-Type", "application/json");
        assertThat(runner.bodies.getFirst()).isEqualTo("{\"n\":1}");
        assertThat(outcome).isInstanceOfSatisfying(ArrowCaller.Outcome.Succeeded.class,
                succeeded -> assertThat(succeeded.reply()).hasValueSatisfying(reply -> assertThat(reply.getId()).isEqualTo("r2")));
    }

    @Test
    void failuresBusyAndAGoneArrowAreSaidSo() throws Exception {
        assertThat(new RunnerCaller(new Runner(Mode.EXEC, new ArrowRunner.Result.Failed("exited with 3"))).call("a", event(), EVENT))
                .isEqualTo(new ArrowCaller.Outcome.Failed("exited with 3"));
        assertThat(new RunnerCaller(new Runner(Mode.EXEC, new ArrowRunner.Result.Busy())).call("a", event(), EVENT))
                .isEqualTo(new ArrowCaller.Outcome.Busy());
        assertThat(new RunnerCaller(new Runner(null, new ArrowRunner.Result.Busy())).call("a", event(), EVENT))
                .isInstanceOf(ArrowCaller.Outcome.Failed.class);
    }
}
