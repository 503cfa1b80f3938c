package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.ArrowClient;
import picocli.CommandLine.Command;

/** {@code arrow ls}: the node's arrows. */
@Command(
        name = "ls",
        aliases = "list",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = "Lists the arrows: the revision that gets traffic, the latest one, and when they changed.")
final class ListCommand extends NodeCommand {

    @Override
    public Integer call() throws Exception {
        return node.list(ArrowClient::listArrows, (answer, now) -> {
            var table = new TableFormatter()
                    .column("NAME")
                    .column("REVISION", TableFormatter.Align.RIGHT)
                    .column("LATEST", TableFormatter.Align.RIGHT)
                    .column("CREATED")
                    .column("UPDATED");
            for (JsonNode arrow : answer.path("arrows")) {
                table.row(arrow.path("name").asText(), arrow.path("trafficRevision").asText(),
                        arrow.path("latestRevision").asText(), Formats.ago(arrow.path("createdAt"), now),
                        Formats.ago(arrow.path("updatedAt"), now));
            }
            return table;
        });
    }
}
