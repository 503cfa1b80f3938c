package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code arrow triggers}: what makes each arrow run besides a call, and how it went. */
@Command(
        name = "triggers",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Lists every arrow's triggers (or one arrow's): the last firing (the newest event it was owed), the next"
                    + " (schedules), and its deliveries, failed attempts and dead letters."
        })
final class TriggersCommand extends NodeCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "ARROW", description = "Only this arrow's triggers.")
    String arrow;

    @Override
    public Integer call() throws Exception {
        return node.list(client -> client.triggers(arrow), (answer, now) -> {
            var table = new TableFormatter()
                    .column("ARROW")
                    .column("#", TableFormatter.Align.RIGHT)
                    .column("KIND")
                    .column("TRIGGER")
                    .column("LAST")
                    .column("NEXT")
                    .column("DELIVERIES", TableFormatter.Align.RIGHT)
                    .column("FAILURES", TableFormatter.Align.RIGHT)
                    .column("DEAD LETTERS", TableFormatter.Align.RIGHT);
            for (JsonNode trigger : answer.path("triggers")) {
                String kind = trigger.path("kind").asText();
                JsonNode declared = trigger.path("trigger").path(kind);
                table.row(trigger.path("arrow").asText(), trigger.path("index").asText(), kind,
                        declared.isTextual() ? declared.asText() : declared.isMissingNode() ? "-" : declared.toString(),
                        Formats.ago(trigger.path("lastFiring"), now), Formats.in(trigger.path("nextFiring"), now),
                        trigger.path("deliveries").asText(), trigger.path("failures").asText(),
                        trigger.path("deadLetters").asText());
            }
            return table;
        });
    }
}
