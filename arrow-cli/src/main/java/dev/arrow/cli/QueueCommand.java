package dev.arrow.cli;

import static java.util.Map.entry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.RequestBody;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow queue}: the node's message queues. */
@Command(
        name = "queue",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Message queues on the node, with SQS semantics: a received message stays invisible for its visibility"
                    + " timeout and comes again unless deleted by its receipt handle. A queue is made by its first send."
        })
final class QueueCommand extends CommandGroup {

    /** The largest message body the node takes. */
    static final int MAX_BODY_BYTES = 256 * 1024;
    /** The longest a receive may wait. */
    static final Duration MAX_WAIT = Duration.ofSeconds(20);

    static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands(
            entry("send", Send::new),
            entry("receive", Receive::new),
            entry("delete", Delete::new),
            entry("ls", ListQueues::new),
            entry("purge", Purge::new),
            entry("redrive", Redrive::new));

    QueueCommand() {
        super(SUBCOMMANDS);
    }

    @Command(
            name = "send",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {
                "Sends a message and prints its id (--json: the node's answer) once the node has it on disk.",
                "BODY is the message itself, @FILE a file's bytes, or - arrow's own stdin; 1 byte to 256 KiB."
            })
    static final class Send extends NodeCommand {

        @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue; made with the defaults if absent.")
        String queue;

        @Parameters(index = "1", paramLabel = "BODY", description = "The message, @FILE or -.")
        String body;

        @Option(names = "--delay", paramLabel = "TIME", converter = Converters.Time.class,
                description = "Keep it invisible for TIME, e.g. 10s (0s to 15m; default the queue's delay).")
        Duration delay;

        @Override
        public Integer call() throws Exception {
            CliContext context = node.context();
            RequestBody message = Inputs.body(body, "BODY", context, MAX_BODY_BYTES, Send::checkSize);
            JsonNode sent = node.fetch(client -> client.queueSend(queue, message, delay));
            if (node.json) {
                node.printJson(sent);
                return ExitStatus.OK;
            }
            context.out().println(sent.path("id").asText());
            context.out().flush();
            return ExitStatus.OK;
        }

        private static void checkSize(long bytes, String what) throws CliException {
            if (bytes == 0) {
                throw CliException.usage(what + " is empty: a message is 1 byte at least");
            }
            if (bytes > MAX_BODY_BYTES) {
                throw CliException.usage(what + " holds more than 256 KiB: a message is at most " + MAX_BODY_BYTES
                        + " bytes");
            }
        }
    }

    @Command(
            name = "receive",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {
                "Receives messages and writes each one's body to stdout, each followed by a newline; on stderr, a"
                        + " line per message: 'message ID receiveCount N receiptHandle H'. Nothing when none came.",
                "--json prints the node's answer: {\"messages\":[{\"id\",\"body\"?,\"bodyBase64\",\"receiptHandle\","
                        + "\"receiveCount\",\"sentAt\",\"firstReceivedAt\",...}]} (\"body\" when it is UTF-8).",
                "A message not deleted (--delete, or arrow queue delete) within its visibility timeout comes again."
            })
    static final class Receive extends NodeCommand {

        @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
        String queue;

        @Option(names = "--max", paramLabel = "N", description = "At most N messages, 1 to 10 (default 1).")
        int max = 1;

        @Option(names = "--wait", paramLabel = "TIME", converter = Converters.Time.class,
                description = "Wait up to TIME for a message, e.g. 5s (0s to 20s; default 0s: answer at once).")
        Duration wait = Duration.ZERO;

        @Option(names = "--visibility", paramLabel = "TIME", converter = Converters.Time.class,
                description = "Keep the messages invisible for TIME, e.g. 30s (0s to 12h; default the queue's).")
        Duration visibility;

        @Option(names = "--delete", description = "Delete each message once it is printed (acknowledge it).")
        boolean delete;

        @Override
        public Integer call() throws Exception {
            if (max < 1 || max > 10) {
                throw CliException.usage("--max must be from 1 to 10, not " + max);
            }
            if (wait.compareTo(MAX_WAIT) > 0) {
                throw CliException.usage("--wait is at most 20s, not " + Formats.duration(wait.toMillis()));
            }
            CliContext context = node.context();
            try (ArrowClient client = node.client()) {
                JsonNode answer = client.queueReceive(queue, max, wait, visibility);
                if (node.json) {
                    node.printJson(answer);
                } else {
                    for (JsonNode message : answer.path("messages")) {
                        context.err().println("message " + message.path("id").asText() + " receiveCount "
                                + message.path("receiveCount").asText() + " receiptHandle "
                                + message.path("receiptHandle").asText());
                        context.err().flush();
                        context.out().write(Base64.getDecoder().decode(message.path("bodyBase64").asText()));
                        context.out().write('\n');
                        context.out().flush();
                    }
                }
                if (delete) {
                    for (JsonNode message : answer.path("messages")) {
                        client.queueDelete(queue, message.path("receiptHandle").asText());
                    }
                }
            }
            return ExitStatus.OK;
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Deletes (acknowledges) a received message by its receipt handle. A handle of an earlier"
                    + " receive of the message is stale: exit status 2.")
    static final class Delete extends NodeCommand {

        @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
        String queue;

        @Parameters(index = "1", paramLabel = "RECEIPT_HANDLE", description = "The receipt handle, as received.")
        String handle;

        @Override
        public Integer call() throws Exception {
            return node.send(client -> client.queueDelete(queue, handle), "deleted");
        }
    }

    @Command(
            name = "ls",
            aliases = "list",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Lists the queues: visible, in-flight and delayed messages, the oldest message's age, the"
                    + " dead-letter queue.")
    static final class ListQueues extends NodeCommand {

        @Override
        public Integer call() throws Exception {
            return node.list(ArrowClient::queues, (answer, now) -> {
                var table = new TableFormatter()
                        .column("QUEUE")
                        .column("VISIBLE", TableFormatter.Align.RIGHT)
                        .column("IN FLIGHT", TableFormatter.Align.RIGHT)
                        .column("DELAYED", TableFormatter.Align.RIGHT)
                        .column("OLDEST", TableFormatter.Align.RIGHT)
                        .column("DEAD LETTERS")
                        .column("CREATED");
                for (JsonNode queue : answer.path("queues")) {
                    table.row(queue.path("name").asText(), queue.path("visible").asText(), queue.path("inFlight").asText(),
                            queue.path("delayed").asText(), Formats.duration(queue.path("oldestMessageAge")),
                            queue.path("deadLetterQueue").isTextual() ? queue.path("deadLetterQueue").asText() + " after "
                                    + queue.path("maxReceiveCount").asText() : null,
                            Formats.ago(queue.path("createdAt"), now));
                }
                return table;
            });
        }
    }

    @Command(
            name = "purge",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Deletes every message of a queue and prints how many.")
    static final class Purge extends NodeCommand {

        @Parameters(index = "0", paramLabel = "QUEUE", description = "The queue.")
        String queue;

        @Override
        public Integer call() throws Exception {
            JsonNode answer = node.fetch(client -> client.queuePurge(queue));
            return node.answer(answer, "purged " + answer.path("purged").asText() + " messages from " + queue);
        }
    }

    @Command(
            name = "redrive",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Moves every message of a dead-letter queue back to the queue it came from and prints how"
                    + " many.")
    static final class Redrive extends NodeCommand {

        @Parameters(index = "0", paramLabel = "DLQ", description = "The dead-letter queue.")
        String queue;

        @Override
        public Integer call() throws Exception {
            JsonNode answer = node.fetch(client -> client.queueRedrive(queue));
            return node.answer(answer, "moved " + answer.path("moved").asText() + " messages from " + queue
                    + " back to their queues");
        }
    }

}
