package dev.arrow.cli;

import static java.util.Map.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code arrow keys}: access keys for the node's S3 listener (being built). */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Access keys (an id and a secret, as AWS's) for the node's S3-compatible listener, being built."
        })
final class KeysCommand extends CommandGroup {

    static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands(
            entry("create", Create::new),
            entry("ls", ListKeys::new),
            entry("rm", Remove::new));

    KeysCommand() {
        super(SUBCOMMANDS);
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = {
                "Makes an access key and prints its id and secret. The secret is shown only this once.",
                "--json prints {\"accessKeyId\", \"secretAccessKey\", \"name\", \"createdAt\"}."
            })
    static final class Create extends NodeCommand {

        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
                description = "A label for the key, 1 to 64 printable characters (need not be unique).")
        String name;

        @Override
        public Integer call() throws Exception {
            JsonNode created = node.fetch(client -> client.keyCreate(name));
            if (node.json) {
                ObjectNode out = Json.object();
                out.set("accessKeyId", created.path("accessKeyId"));
                out.set("secretAccessKey", created.path("secretAccessKey"));
                out.set("name", created.path("name").isMissingNode() ? null : created.path("name"));
                out.set("createdAt", created.path("createdAt"));
                node.printJson(out);
                return ExitStatus.OK;
            }
            CliContext context = node.context();
            context.out().println("access key id: " + created.path("accessKeyId").asText());
            context.out().println("secret access key: " + created.path("secretAccessKey").asText());
            context.out().flush();
            context.err().println("Keep the secret now: it is not shown again.");
            context.err().flush();
            return ExitStatus.OK;
        }
    }

    @Command(
            name = "ls",
            aliases = "list",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Lists the access keys, oldest first: ids, names, when made (never secrets).")
    static final class ListKeys extends NodeCommand {

        @Override
        public Integer call() throws Exception {
            return node.list(ArrowClient::keys, (answer, now) -> {
                var table = new TableFormatter().column("ACCESS KEY ID").column("NAME").column("CREATED");
                for (JsonNode key : answer.path("keys")) {
                    JsonNode name = key.path("name");
                    table.row(key.path("accessKeyId").asText(), name.isTextual() ? name.asText() : "-",
                            Formats.ago(key.path("createdAt"), now));
                }
                return table;
            });
        }
    }

    @Command(
            name = "rm",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Deletes an access key: requests signed with it are refused from then on.")
    static final class Remove extends NodeCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The access key id.")
        String id;

        @Override
        public Integer call() throws Exception {
            return node.send(client -> client.keyDelete(id), "deleted access key " + id);
        }
    }
}
