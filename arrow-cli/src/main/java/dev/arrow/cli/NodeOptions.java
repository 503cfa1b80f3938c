package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
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

    /** One request to the node. */
    @FunctionalInterface
    interface Request<T> {
        T send(ArrowClient client) throws Exception;
    }

    /** One request to the node that answers nothing to print. */
    @FunctionalInterface
    interface Action {
        void send(ArrowClient client) throws Exception;
    }

    /** A table of the node's answer, its times shown as of {@code now}. */
    @FunctionalInterface
    interface Table {
        TableFormatter of(JsonNode answer, Instant now);
    }

    /** The node's answer to one request, on a client of its own. */
    <T> T fetch(Request<T> request) throws Exception {
        try (ArrowClient client = client()) {
            return request.send(client);
        }
    }

    /** Sends one request and prints {@code line}, or nothing with {@code --json}. */
    int send(Action action, String line) throws Exception {
        try (ArrowClient client = client()) {
            action.send(client);
        }
        if (!json) {
            context().out().println(line);
            context().out().flush();
        }
        return ExitStatus.OK;
    }

    /** One page of a listing: at most {@code size} items from {@code cursor} on (null: the first page). */
    @FunctionalInterface
    interface Page {
        JsonNode fetch(ArrowClient client, int size, String cursor) throws Exception;
    }

    /**
     * The items of a listing, page after page of up to {@code size}, to its end or to {@code limit}
     * items (null: all): each page holds them under {@code items} and the next cursor under {@code next}.
     */
    ArrayNode pages(Page page, int size, Integer limit, String items, String next) throws Exception {
        ArrayNode all = Json.array();
        try (ArrowClient client = client()) {
            String cursor = null;
            do {
                JsonNode answer = page.fetch(client, limit == null ? size : Math.min(size, limit - all.size()), cursor);
                answer.path(items).forEach(all::add);
                cursor = answer.path(next).isTextual() ? answer.path(next).asText() : null;
            } while (cursor != null && (limit == null || all.size() < limit));
        }
        return all;
    }

    /** Prints the node's answer: its JSON with {@code --json}, else the table made of it. */
    int list(Request<JsonNode> request, Table table) throws Exception {
        return table(fetch(request), table);
    }

    /** Prints {@code answer}: its JSON with {@code --json}, else the table made of it. */
    int table(JsonNode answer, Table table) throws IOException {
        if (json) {
            printJson(answer);
            return ExitStatus.OK;
        }
        CliContext context = context();
        context.out().print(table.of(answer, context.clock().instant()).render());
        context.out().flush();
        return ExitStatus.OK;
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
