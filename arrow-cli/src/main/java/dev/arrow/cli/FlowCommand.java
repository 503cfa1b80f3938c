package dev.arrow.cli;

import static java.util.Map.entry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow flow}: durable flows of arrows (Serverless Workflow, or States Language imported) and their runs. */
@Command(
        name = "flow",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Flows compose arrows in the CNCF Serverless Workflow DSL 1.0 (or Amazon States Language, imported);"
                    + " each run is pinned to the revision it started on and stored step by step, so it survives"
                    + " a restart of the node."
        })
final class FlowCommand extends CommandGroup {

    /** The largest definition the node takes. */
    static final int MAX_DEFINITION_BYTES = 256 * 1024;
    /** How long one start --wait request waits on the node before the CLI asks again. */
    static final Duration WAIT_ROUND = Duration.ofMinutes(5);

    static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands(
            entry("deploy", Deploy::new),
            entry("ls", ListFlows::new),
            entry("rm", Remove::new),
            entry("revisions", Revisions::new),
            entry("start", Start::new),
            entry("runs", Runs::new),
            entry("describe", Describe::new),
            entry("cancel", Cancel::new),
            entry("redrive", Redrive::new));

    FlowCommand() {
        super(SUBCOMMANDS);
    }

    @Command(
            name = "deploy",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {
                "Deploys a flow: its definition is checked (every arrow it calls must exist, every jq expression must"
                        + " compile) and stored as the flow's next revision. The same definition again is not a new revision.",
                "A Serverless Workflow flow is named by its document.name; a States Language one by --name."
            })
    static final class Deploy extends NodeCommand {

        @Option(names = {"-f", "--file"}, paramLabel = "FILE",
                description = "The definition: Serverless Workflow YAML or JSON, or States Language JSON with --from asl.")
        Path file;

        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The definition, as with -f.")
        Path positional;

        @Option(names = "--from", paramLabel = "LANGUAGE", defaultValue = "dsl",
                description = "dsl (Serverless Workflow, the default) or asl (Amazon States Language).")
        String from;

        @Option(names = "--name", paramLabel = "NAME",
                description = "The flow's name; with --from asl, the file's name without its extension by default.")
        String name;

        @Override
        public Integer call() throws Exception {
            String language = from.toLowerCase(Locale.ROOT);
            if (!language.equals("dsl") && !language.equals("asl")) {
                throw CliException.usage("--from is dsl or asl, not '" + from + "'");
            }
            if ((file == null) == (positional == null)) {
                throw CliException.usage("give the definition's file once: -f FILE or FILE");
            }
            if (file == null) {
                file = positional;
            }
            if (language.equals("asl") && name == null) {
                // States Language has no name of its own: states.json deploys as the flow "states".
                String base = String.valueOf(file.getFileName());
                int dot = base.lastIndexOf('.');
                name = (dot > 0 ? base.substring(0, dot) : base).toLowerCase(Locale.ROOT);
            }
            byte[] source = read(file, MAX_DEFINITION_BYTES, "a flow's definition");
            JsonNode answer = node.fetch(client -> client.flowDeploy(language, name, source));
            return node.answer(answer, "deployed " + answer.path("name").asText() + " revision "
                    + answer.path("revision").asInt());
        }
    }

    @Command(
            name = "ls",
            aliases = "list",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Lists the deployed flows with their latest revision.")
    static final class ListFlows extends NodeCommand {

        @Override
        public Integer call() throws Exception {
            return node.list(ArrowClient::flows, (answer, now) -> {
                var table = new TableFormatter().column("NAME").column("REVISION").column("LANGUAGE").column("DEPLOYED");
                for (JsonNode flow : answer.path("flows")) {
                    table.row(flow.path("name").asText(), flow.path("revision").asInt(), flow.path("language").asText(),
                            Formats.ago(flow.path("deployedAt"), now));
                }
                return table;
            });
        }
    }

    @Command(
            name = "rm",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Deletes a flow; runs already started finish on their revision.")
    static final class Remove extends NodeCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The flow.")
        String name;

        @Override
        public Integer call() throws Exception {
            try (ArrowClient client = node.client()) {
                client.flowDelete(name);
            }
            return node.answer(ArrowClient.object().put("name", name).put("deleted", true), "deleted " + name);
        }
    }

    @Command(
            name = "revisions",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Lists a flow's revisions, oldest first.")
    static final class Revisions extends NodeCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The flow.")
        String name;

        @Override
        public Integer call() throws Exception {
            return node.list(client -> client.flowRevisions(name), (answer, now) -> {
                var table = new TableFormatter().column("REVISION").column("LANGUAGE").column("DEPLOYED");
                for (JsonNode revision : answer.path("revisions")) {
                    table.row(revision.path("revision").asInt(), revision.path("language").asText(),
                            Formats.ago(revision.path("deployedAt"), now));
                }
                return table;
            });
        }
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = {
                "Starts a run of the flow's latest revision and prints its id.",
                "With --wait, waits for the run's end: prints its output when it succeeded, and exits with 1 and"
                        + " its error when it failed, timed out or was cancelled."
            })
    static final class Start extends NodeCommand {

        @Parameters(index = "0", paramLabel = "NAME", description = "The flow.")
        String name;

        @Option(names = "--data", paramLabel = "JSON|@FILE", description = "The run's input, JSON (default {}).")
        String data;

        @Option(names = "--wait", description = "Wait for the run to end.")
        boolean await;

        @Override
        public Integer call() throws Exception {
            JsonNode input = input(data);
            JsonNode run;
            try (ArrowClient client = node.client()) {
                run = client.flowStart(name, input, await ? WAIT_ROUND : null);
                while (await && run.path("status").asText().equals("running")) {
                    run = client.flowRunAwait(run.path("id").asText(), WAIT_ROUND);
                }
            }
            CliContext context = node.context();
            if (!await) {
                return node.answer(run, run.path("id").asText());
            }
            boolean succeeded = run.path("status").asText().equals("succeeded");
            if (node.json) {
                node.printJson(run);
            } else if (succeeded) {
                context.out().println(Json.pretty(run.path("output")));
                context.out().flush();
            } else {
                context.err().println("arrow: the run " + run.path("id").asText() + " " + run.path("status").asText()
                        + (run.has("error") ? ": " + error(run.path("error")) : ""));
                context.err().flush();
            }
            return succeeded ? ExitStatus.OK : ExitStatus.INVOCATION_FAILED;
        }

        private static JsonNode input(String value) throws IOException, CliException {
            if (value == null) {
                return ArrowClient.object();
            }
            byte[] bytes = value.startsWith("@") ? read(Path.of(value.substring(1)), 256 * 1024, "a run's input")
                    : value.getBytes(StandardCharsets.UTF_8);
            try {
                return Json.parse(bytes);
            } catch (IOException e) {
                throw CliException.usage("--data must be JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
    }

    @Command(
            name = "runs",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            usageHelpAutoWidth = true,
            description = "Lists runs, newest first: of one flow, or of every flow.")
    static final class Runs extends NodeCommand {

        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The flow (default: every flow).")
        String name;

        @Option(names = "--status", paramLabel = "STATUS",
                description = "Only runs in this status: running, succeeded, failed, timed_out, cancelled.")
        String status;

        @Option(names = "--limit", paramLabel = "N", description = "At most N runs, 1 to 1000 (default 50).")
        Integer limit;

        @Override
        public Integer call() throws Exception {
            return node.list(client -> client.flowRuns(name, status, limit), (answer, now) -> {
                var table = new TableFormatter().column("ID").column("FLOW").column("REVISION").column("STATUS")
                        .column("STARTED").column("DURATION").column("BY");
                for (JsonNode run : answer.path("runs")) {
                    table.row(run.path("id").asText(), run.path("flow").asText(), run.path("revision").asInt(),
                            run.path("status").asText(), Formats.ago(run.path("startedAt"), now),
                            Formats.duration(run.path("durationMs")), run.path("startedBy").asText());
                }
                return table;
            });
        }
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Shows a run and its steps as a tree by path: each step's status, duration, attempts and error.")
    static final class Describe extends NodeCommand {

        @Parameters(index = "0", paramLabel = "RUN", description = "The run's id.")
        String id;

        @Override
        public Integer call() throws Exception {
            JsonNode run = node.fetch(client -> client.flowRun(id));
            if (node.json) {
                node.printJson(run);
                return ExitStatus.OK;
            }
            CliContext context = node.context();
            context.out().print(describe(run));
            context.out().flush();
            return ExitStatus.OK;
        }
    }

    /** A run as text: its head, then its steps as a tree of their paths' task names. */
    static String describe(JsonNode run) {
        var out = new StringBuilder();
        out.append("run       ").append(run.path("id").asText()).append('\n');
        out.append("flow      ").append(run.path("flow").asText()).append(" revision ").append(run.path("revision").asInt())
                .append('\n');
        out.append("status    ").append(run.path("status").asText());
        if (run.path("durationMs").isNumber()) {
            out.append(" after ").append(Formats.duration(run.path("durationMs")));
        }
        out.append('\n');
        out.append("started   ").append(run.path("startedAt").asText()).append(" by ").append(run.path("startedBy").asText())
                .append('\n');
        if (run.path("redrives").asInt() > 0) {
            out.append("redrives  ").append(run.path("redrives").asInt()).append('\n');
        }
        if (run.has("error")) {
            out.append("error     ").append(error(run.path("error"))).append('\n');
        }
        if (run.has("output")) {
            out.append("output    ").append(Json.compact(run.path("output"))).append('\n');
        }
        List<JsonNode> steps = new ArrayList<>();
        run.path("steps").forEach(steps::add);
        if (!steps.isEmpty()) {
            out.append("steps\n");
            var table = new TableFormatter().column("STEP").column("KIND").column("STATUS").column("DURATION")
                    .column("ATTEMPT").column("ERROR");
            for (JsonNode step : steps) {
                String path = step.path("path").asText();
                table.row(treeLabel(path), step.path("kind").asText(), step.path("status").asText(),
                        Formats.duration(step.path("durationMs")), step.path("attempt").asInt(),
                        step.has("error") ? error(step.path("error")) : "");
            }
            out.append(table.render());
        }
        return out.toString();
    }

    /**
     * A step's path ({@code /do/1/ship/fork/branches/0/a}) as a line of a tree: indented by its
     * depth in tasks, labelled by its last segments from its task's name.
     */
    static String treeLabel(String path) {
        List<String> segments = List.of(path.startsWith("/") ? path.substring(1).split("/") : path.split("/"));
        // A task is named after an index in a list ("do", "branches", "try", ...): depth is how many tasks enclose it.
        int depth = 0;
        int lastName = segments.size() - 1;
        for (int i = 1; i < segments.size(); i++) {
            if (isIndex(segments.get(i - 1)) && !isIndex(segments.get(i))) {
                depth++;
                lastName = i;
            }
        }
        String name = String.join("/", segments.subList(lastName, segments.size()));
        return "  ".repeat(Math.max(0, depth - 1)) + (depth > 1 ? "└ " : "") + name;
    }

    private static boolean isIndex(String segment) {
        if (segment.isEmpty()) {
            return false;
        }
        int end = segment.indexOf('@'); // an iteration or attempt marker follows the index
        String digits = end < 0 ? segment : segment.substring(0, end);
        return !digits.isEmpty() && digits.chars().allMatch(Character::isDigit);
    }

    /** An error object in one line: its type's last segment, status, title and detail. */
    static String error(JsonNode error) {
        if (!error.isObject()) {
            return error.asText();
        }
        String type = error.path("type").asText("");
        String shortType = type.substring(type.lastIndexOf('/') + 1);
        var text = new StringBuilder(shortType);
        if (error.path("status").isNumber()) {
            text.append(" (").append(error.path("status").asInt()).append(")");
        }
        String title = error.path("title").asText("");
        String detail = error.path("detail").asText("");
        if (!title.isEmpty()) {
            text.append(": ").append(title);
        }
        if (!detail.isEmpty()) {
            text.append(title.isEmpty() ? ": " : " - ").append(detail);
        }
        return text.toString();
    }

    @Command(
            name = "cancel",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Cancels a running run: its steps in flight are cancelled and nothing more starts.")
    static final class Cancel extends NodeCommand {

        @Parameters(index = "0", paramLabel = "RUN", description = "The run's id.")
        String id;

        @Override
        public Integer call() throws Exception {
            JsonNode run = node.fetch(client -> client.flowCancel(id));
            return node.answer(run, "run " + id + " " + run.path("status").asText());
        }
    }

    @Command(
            name = "redrive",
            mixinStandardHelpOptions = true,
            usageHelpAutoWidth = true,
            description = "Runs a failed or timed-out run again from the steps that failed; steps that succeeded keep"
                    + " their outputs.")
    static final class Redrive extends NodeCommand {

        @Parameters(index = "0", paramLabel = "RUN", description = "The run's id.")
        String id;

        @Override
        public Integer call() throws Exception {
            JsonNode run = node.fetch(client -> client.flowRedrive(id));
            return node.answer(run, "run " + id + " redriven (" + run.path("redrives").asInt() + "), "
                    + run.path("status").asText());
        }
    }

    /** A file's bytes, refused beyond {@code max}. */
    static byte[] read(Path file, int max, String what) throws IOException, CliException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw CliException.usage(file + " is not a readable file");
        }
        if (Files.size(file) > max) {
            throw CliException.usage(file + " is larger than " + max / 1024 + " KiB, the most " + what + " may be");
        }
        return Files.readAllBytes(file);
    }
}
