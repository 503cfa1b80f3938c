package dev.arrow.cli;

import static java.util.Map.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow events}: CloudEvents published to the node's broker, and its dead letters. */
@Command(
        name = "events",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "CloudEvents on the node: each event is stored, then delivered at least once to every arrow whose event"
                    + " trigger matches it; what fails after its retries goes to a dead-letter queue."
        })
final class EventsCommand extends CommandGroup {

    /** The largest event the node stores, as structured JSON. */
    static final int MAX_DATA_BYTES = 192 * 1024;

    static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands(
            entry("send", Send::new),
            entry("ls", ListEvents::new),
            entry("redrive", Redrive::new));

    EventsCommand() {
        super(SUBCOMMANDS);
    }

    @Command(
            name = "send",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {
                "Publishes one CloudEvent (structured mode) and prints its id and how many deliveries it owes once the"
                        + " node has it on disk. Sending an id again from the same source stores nothing twice.",
                "--data is JSON (sent as JSON), other text (sent as text/plain), or @FILE."
            })
    static final class Send extends NodeCommand {

        @Option(names = "--type", required = true, paramLabel = "TYPE", description = "The event's type, e.g. com.example.order.created.")
        String type;

        @Option(names = "--source", required = true, paramLabel = "SOURCE", description = "The event's source, a URI reference, e.g. /shop/eu.")
        String source;

        @Option(names = "--data", paramLabel = "JSON|@FILE", description = "The event's data.")
        String data;

        @Option(names = "--id", paramLabel = "ID", description = "The event's id (default: a random UUID).")
        String id;

        @Override
        public Integer call() throws Exception {
            CliContext context = node.context();
            ObjectNode event = ArrowClient.object();
            event.put("specversion", "1.0");
            event.put("id", id == null ? UUID.randomUUID().toString() : id);
            event.put("source", source);
            event.put("type", type);
            event.put("time", context.clock().instant().toString());
            if (data != null) {
                String text = data(data);
                JsonNode json = parse(text);
                if (json != null) {
                    event.put("datacontenttype", "application/json");
                    event.set("data", json);
                } else {
                    event.put("datacontenttype", "text/plain");
                    event.put("data", text);
                }
            }
            JsonNode answer = node.fetch(client -> client.eventSend(event));
            if (node.json) {
                node.printJson(answer);
                return ExitStatus.OK;
            }
            JsonNode one = answer.path("events").path(0);
            context.out().println(one.path("id").asText() + (one.path("stored").asBoolean()
                    ? " stored, " + one.path("deliveries").asInt() + " deliveries"
                    : " was stored already (same source and id): nothing sent again"));
            context.out().flush();
            return ExitStatus.OK;
        }

        private static String data(String value) throws IOException, CliException {
            if (!value.startsWith("@")) {
                return value;
            }
            Path file = Path.of(value.substring(1));
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw CliException.usage(value + ": " + file + " is not a readable file");
            }
            if (Files.size(file) > MAX_DATA_BYTES) {
                throw CliException.usage(file + " holds more than 192 KiB: an event is at most " + MAX_DATA_BYTES + " bytes");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        }

        private static JsonNode parse(String text) {
            try {
                return Json.parse(text.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                return null;
            }
        }
    }

    @Command(
            name = "ls",
            aliases = "list",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = "Lists recent events, newest first, with each delivery: ARROW#TRIGGER and how it stands"
                    + " (pending, delivered, dead_lettered).")
    static final class ListEvents extends NodeCommand {

        @Option(names = "--type", paramLabel = "TYPE", description = "Only events of this type.")
        String type;

        @Option(names = "--source", paramLabel = "SOURCE", description = "Only events of this source.")
        String source;

        @Option(names = "--limit", paramLabel = "N", description = "At most N events, 1 to 500 (default 20).")
        Integer limit;

        @Override
        public Integer call() throws Exception {
            return node.list(client -> client.events(type, source, limit), (answer, now) -> {
                var table = new TableFormatter()
                        .column("ACCEPTED")
                        .column("TYPE")
                        .column("SOURCE")
                        .column("ID")
                        .column("DELIVERIES");
                for (JsonNode event : answer.path("events")) {
                    var deliveries = new ArrayList<String>();
                    for (JsonNode delivery : event.path("deliveries")) {
                        deliveries.add(delivery.path("arrow").asText() + "#" + delivery.path("trigger").asText() + " "
                                + delivery.path("status").asText()
                                + (delivery.path("failures").asInt() > 0 ? " (" + delivery.path("failures").asInt() + " failed)" : ""));
                    }
                    table.row(Formats.ago(event.path("acceptedAt"), now), event.path("type").asText(),
                            event.path("source").asText(), event.path("id").asText(),
                            deliveries.isEmpty() ? "-" : String.join(", ", deliveries));
                }
                return table;
            });
        }
    }

    @Command(
            name = "redrive",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Delivers the dead letters of a queue (default: the node's arrow-dead-letters) again, each to"
                    + " the arrow and trigger it failed for, deletes them from the queue and prints how many.")
    static final class Redrive extends NodeCommand {

        @Parameters(index = "0", arity = "0..1", paramLabel = "QUEUE", description = "The dead-letter queue.")
        String queue;

        @Override
        public Integer call() throws Exception {
            JsonNode answer = node.fetch(client -> client.eventsRedrive(queue));
            return node.answer(answer, "redriven " + answer.path("redriven").asLong() + " dead letters from "
                    + answer.path("queue").asText() + (answer.path("skipped").asLong() > 0
                    ? "; " + answer.path("skipped").asLong() + " messages that are not dead letters of events left" : ""));
        }
    }
}
