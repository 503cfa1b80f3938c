package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import java.io.IOException;
import java.net.URI;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options of every command that talks to a node: where it is, the token, and JSON output. */
final class NodeOptions {


    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--node", paramLabel = "URL", order = 100,
            description = {"The node's API (env ARROW_NODE),", "default " + ArrowClient.DEFAULT_NODE})
    String node;

    @Option(names = "--token", paramLabel = "TOKEN", order = 101,
            description = {"API token (env ARROW_TOKEN), default: the file", "$ARROW_HOME/token (ARROW_HOME: ~/.arrow)"})
    String token;

    @Option(names = "--json", order = 102, description = "Print the node's JSON instead of text.")
    boolean json;

    CliContext context() {
        return ((ArrowCli) mixee.root().userObject()).context;
    }

    /** A client for the node; the caller closes it. */
    ArrowClient client() throws CliException {
        CliContext context = context();
        String address = TokenResolver.node(node, context.env(), ArrowClient.DEFAULT_NODE);
        URI uri;
        try {
            uri = ArrowClient.nodeUri(address);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        return new ArrowClient(uri, TokenResolver.token(token, context.env(), context.userHome()));
    }

    /** Prints JSON indented, as {@code --json} output. */
    void printJson(JsonNode json) throws IOException {
        CliContext context = context();
        context.out().println(Json.pretty(json));
        context.out().flush();
    }

    /** A command's answer: the node's JSON with {@code --json}, else {@code line}. */
    int answer(JsonNode json, String line) throws IOException {
        if (this.json) {
            printJson(json);
        } else {
            context().out().println(line);
            context().out().flush();
        }
        return ExitStatus.OK;
    }
}
