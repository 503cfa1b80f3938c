package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code arrow queue} against a real {@code arrow serve} process, and what a send acknowledged to
 * a client is worth: the node killed with SIGKILL right after, and started again on the same home.
 */
class QueueCliIT extends ServedNode {

    @Test
    void sendThenReceiveAndDelete() throws Exception {
        startNode();
        Run sent = arrow("", "queue", "send", "jobs", "hello from the cli");
        assertThat(sent.status()).as(sent.stderr()).isZero();
        assertThat(sent.stdout().strip()).isNotBlank();
        assertThat(arrow("line one\nline two", "queue", "send", "jobs", "-").status()).isZero();

        Run listed = arrow("", "queue", "ls");
        assertThat(listed.status()).as(listed.stderr()).isZero();
        assertThat(listed.stdout()).contains("jobs");

        Run first = arrow("", "queue", "receive", "jobs", "--delete", "--wait", "1s");
        assertThat(first.status()).as(first.stderr()).isZero();
        assertThat(first.stdout()).isEqualTo("hello from the cli\n");
        assertThat(first.stderr()).contains("receiveCount 1").contains("receiptHandle ");

        Run second = arrow("", "queue", "receive", "jobs", "--visibility", "0s");
        assertThat(second.stdout()).isEqualTo("line one\nline two\n");
        Matcher handle = Pattern.compile("receiptHandle (\\S+)").matcher(second.stderr());
        assertThat(handle.find()).as(second.stderr()).isTrue();
        Run again = arrow("", "queue", "receive", "jobs");
        assertThat(again.stderr()).contains("receiveCount 2");
        Run stale = arrow("", "queue", "delete", "jobs", handle.group(1));
        assertThat(stale.status()).isEqualTo(2);
        assertThat(stale.stderr()).startsWith("arrow: ").contains("stale");

        assertThat(arrow("", "queue", "purge", "jobs").stdout()).isEqualTo("purged 1 messages from jobs\n");
        assertThat(arrow("", "queue", "receive", "jobs").stdout()).isEmpty();
        assertThat(arrow("", "queue", "purge", "nope").status()).isEqualTo(3);
        Run bad = arrow("", "queue", "send", "Bad_Queue", "x");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.stderr()).startsWith("arrow: ").contains("queue");
    }

    @Test
    void anAcknowledgedSendSurvivesAKill9() throws Exception {
        startNode();
        for (int i = 0; i < 3; i++) {
            Run sent = arrow("", "queue", "send", "durable", "message " + i);
            assertThat(sent.status()).as(sent.stderr()).isZero();
        }

        node.destroyForcibly(); // SIGKILL: no shutdown hook, no checkpoint, no close
        assertThat(node.waitFor(20, TimeUnit.SECONDS)).isTrue();
        startNode();

        Run received = arrow("", "queue", "receive", "durable", "--max", "10", "--delete");
        assertThat(received.status()).as(received.stderr()).isZero();
        assertThat(received.stdout().lines().sorted().toList()).containsExactly("message 0", "message 1", "message 2");
    }
}
