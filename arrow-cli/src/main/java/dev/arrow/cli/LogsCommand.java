package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code arrow logs}: what invocations wrote to stderr. */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Prints the logs (stderr) of an arrow's latest invocations, oldest first, each under a"
                    + " '==> ID STATUS, TIME <==' line; or, with --invocation, one invocation's log as is.",
            "-f keeps going: every second it looks for invocations that finished since and prints their logs,"
                    + " until Ctrl-C. With --json, -f prints one JSON object per invocation and line."
        })
final class LogsCommand extends NodeCommand {

    /** Records looked at per poll when following; the API allows up to 1000. */
    private static final int FOLLOW_PAGE = 200;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The arrow.")
    String name;

    @Option(names = "--invocation", paramLabel = "ID", description = "Only this invocation's log.")
    String invocation;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "How many invocations (node default: 20).")
    Integer limit;

    @Option(names = {"-f", "--follow"}, description = "Keep printing the logs of new invocations.")
    boolean follow;

    @Option(names = "--interval", paramLabel = "MS", hidden = true, defaultValue = "1000",
            description = "Milliseconds between polls with -f.")
    long intervalMillis;

    // Bounds the loop so tests can follow without a thread to stop; 0 is until interrupted.
    @Option(names = "--max-polls", paramLabel = "N", hidden = true, defaultValue = "0",
            description = "With -f, stop after N polls.")
    long maxPolls;

    @Override
    public Integer call() throws Exception {
        if (invocation != null && (follow || name != null || limit != null)) {
            throw new ParameterException(spec.commandLine(), "--invocation ID goes alone: not with NAME, -f or --limit");
        }
        if (invocation == null && name == null) {
            throw new ParameterException(spec.commandLine(), "give NAME or --invocation ID");
        }
        CliContext context = node.context();
        try (ArrowClient client = node.client()) {
            if (invocation != null) {
                context.out().print(client.invocationLogs(invocation));
                context.out().flush();
                return ExitStatus.OK;
            }
            if (follow) {
                follow(client, context);
                return ExitStatus.OK;
            }
            JsonNode answer = client.arrowLogs(name, limit);
            if (node.json) {
                node.printJson(answer);
                return ExitStatus.OK;
            }
            List<JsonNode> oldestFirst = new ArrayList<>();
            answer.path("entries").forEach(entry -> oldestFirst.addFirst(entry));
            for (JsonNode entry : oldestFirst) {
                print(entry, entry.path("log").asText(""), context);
            }
            return ExitStatus.OK;
        }
    }

    /**
     * Polls until interrupted (Ctrl-C ends the JVM; in-JVM, an interrupt ends it with status 0) or
     * {@code --max-polls}; one request a second while idle.
     */
    private void follow(ArrowClient client, CliContext context) throws Exception {
        var follower = new LogFollower(limit == null ? 20 : limit);
        try {
            for (long polls = 1; !Thread.currentThread().isInterrupted(); polls++) {
                JsonNode page = client.invocations(name, null, FOLLOW_PAGE, null).path("invocations");
                for (JsonNode record : follower.next(page)) {
                    String log = client.invocationLogs(record.path("id").asText());
                    if (node.json) {
                        ObjectNode entry = ArrowClient.object();
                        entry.put("id", record.path("id").asText());
                        entry.set("acceptedAt", record.path("acceptedAt"));
                        entry.put("status", record.path("status").asText());
                        entry.put("log", log);
                        context.out().println(Json.compact(entry));
                        context.out().flush();
                    } else {
                        print(record, log, context);
                    }
                }
                if (polls == maxPolls) {
                    return;
                }
                Thread.sleep(intervalMillis);
            }
        } catch (InterruptedException e) {
            // Being interrupted is how following ends in-JVM (sleep and requests throw): not an error.
            Thread.currentThread().interrupt();
        }
    }

    private static void print(JsonNode entry, String log, CliContext context) {
        Instant now = context.clock().instant();
        context.out().println("==> " + entry.path("id").asText() + " " + entry.path("status").asText() + ", "
                + Formats.ago(entry.path("acceptedAt"), now) + " <==");
        if (!log.isEmpty()) {
            context.out().print(log.endsWith("\n") ? log : log + "\n");
        }
        context.out().flush();
    }
}
