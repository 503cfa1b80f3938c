package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code arrow events} and {@code arrow triggers} against a real {@code arrow serve} process, and
 * what an accepted event is worth: the node killed with SIGKILL before it could deliver, started
 * again on the same home, and the event delivered then; a dead letter inspected with
 * {@code arrow queue receive} and replayed with {@code arrow events redrive}.
 */
class EventsCliIT extends ServedNode {

    /** Arrows that fail until a key of kv store "gate" exists: the first retries long, the second gives up at once. */
    private static final String MANIFEST = """
            arrows:
              - name: gated
                command: [sh, -c, 'cat > /dev/null; curl -s -f -o /dev/null --unix-socket "$ARROW_API_SOCKET" -H "Authorization: Bearer $ARROW_TOKEN" http://arrow/v1/kv/gate/keys/open || exit 3']
                bindings: {kv: [gate]}
                triggers:
                  - event: {type: t.gated}
                    retry: {attempts: 100, baseDelay: 100ms, maxDelay: 300ms}
              - name: once
                command: [sh, -c, 'cat > /dev/null; curl -s -f -o /dev/null --unix-socket "$ARROW_API_SOCKET" -H "Authorization: Bearer $ARROW_TOKEN" http://arrow/v1/kv/gate/keys/second || exit 3']
                bindings: {kv: [gate]}
                triggers:
                  - event: {type: t.once}
                    retry: {attempts: 1}
            """;

    @Test
    void anAcceptedEventSurvivesAKill9AndADeadLetterIsRedriven() throws Exception {
        startNode();
        Path manifest = home.resolve("arrow.yaml");
        Files.writeString(manifest, MANIFEST);
        Run deployed = arrow("", "deploy", "-f", manifest.toString());
        assertThat(deployed.status()).as(deployed.stderr()).isZero();
        Run inspected = arrow("", "inspect", "gated");
        assertThat(inspected.stdout()).contains("triggers:").contains("event {\"type\":\"t.gated\"}");

        Run sent = arrow("", "events", "send", "--type", "t.gated", "--source", "/cli", "--id", "e1", "--data", "{\"a\":1}");
        assertThat(sent.status()).as(sent.stderr()).isZero();
        assertThat(sent.stdout()).isEqualTo("e1 stored, 1 deliveries\n");
        Run again = arrow("", "events", "send", "--type", "t.gated", "--source", "/cli", "--id", "e1");
        assertThat(again.stdout()).contains("stored already");

        node.destroyForcibly(); // SIGKILL, with the event accepted and not delivered (the gate is shut)
        assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        startNode();
        assertThat(arrow("", "events", "ls", "--type", "t.gated").stdout()).contains("gated#0 pending");
        assertThat(arrow("", "kv", "put", "gate", "open", "yes").status()).isZero();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                arrow("", "events", "ls", "--type", "t.gated").stdout().contains("gated#0 delivered"));

        // One attempt only: dead-lettered to the node's queue, inspectable there, then redriven.
        assertThat(arrow("", "events", "send", "--type", "t.once", "--source", "/cli", "--id", "e2").status()).isZero();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                arrow("", "events", "ls", "--type", "t.once").stdout().contains("once#0 dead_lettered"));
        Run letter = arrow("", "queue", "receive", "arrow-dead-letters", "--visibility", "0s");
        assertThat(letter.stdout()).contains("\"arrow\":\"once\"").contains("\"id\":\"e2\"");
        Run triggers = arrow("", "triggers", "once");
        assertThat(triggers.status()).as(triggers.stderr()).isZero();
        assertThat(triggers.stdout()).contains("DEAD LETTERS").containsPattern("once +0 +event .*1 +1 +1\\n");

        assertThat(arrow("", "kv", "put", "gate", "second", "yes").status()).isZero();
        Run redriven = arrow("", "events", "redrive");
        assertThat(redriven.stdout()).isEqualTo("redriven 1 dead letters from arrow-dead-letters\n");
        await().atMost(Duration.ofSeconds(60)).until(() ->
                arrow("", "events", "ls", "--type", "t.once").stdout().contains("once#0 delivered"));
        assertThat(arrow("", "queue", "receive", "arrow-dead-letters").stdout()).isEmpty();

        Run bad = arrow("", "events", "send", "--type", "t", "--source", "");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.stderr()).contains("source");
    }
}
