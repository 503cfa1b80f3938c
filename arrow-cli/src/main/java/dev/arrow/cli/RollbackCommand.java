package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code arrow rollback}: traffic to an earlier revision. */
@Command(
        name = "rollback",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = "Sends an arrow's traffic to revision REV, or to the one before the current one.")
final class RollbackCommand extends NodeCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The arrow.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REV", description = "The revision number.")
    Integer revision;

    @Override
    public Integer call() throws Exception {
        JsonNode arrow = node.fetch(client -> client.rollback(name, revision));
        if (node.json) {
            node.printJson(arrow);
        } else {
            node.context().out().println(name + ": traffic on revision " + arrow.path("trafficRevision").asText("?")
                    + " (latest " + arrow.path("latestRevision").asText("?") + ")");
            node.context().out().flush();
        }
        return ExitStatus.OK;
    }
}
