package dev.arrow.cli;

import dev.arrow.cli.client.ArrowClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code arrow rm}: deletes arrows. */
@Command(
        name = "rm",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = "Deletes arrows and their revisions; their invocation records stay. Stops at the first failure.")
final class RemoveCommand extends NodeCommand {

    @Parameters(arity = "1..*", paramLabel = "NAME", description = "The arrows.")
    List<String> names;

    @Override
    public Integer call() throws Exception {
        CliContext context = node.context();
        try (ArrowClient client = node.client()) {
            for (String name : names) {
                client.deleteArrow(name);
                if (!node.json) {
                    context.out().println("deleted " + name);
                    context.out().flush();
                }
            }
        }
        return ExitStatus.OK;
    }
}
