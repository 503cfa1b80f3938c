package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.ApiException;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.ArrowHeaders;
import dev.arrow.cli.client.InvokeResult;
import dev.arrow.cli.client.Json;
import dev.arrow.cli.client.RequestBody;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow invoke}: runs an arrow once. */
@Command(
        name = "invoke",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Invokes an arrow: the data is the program's stdin, its stdout is written to stdout as is.",
            "A failed invocation prints the program's last stderr and what went wrong on stderr and exits"
                    + " with 1. With --json, a failure prints the node's JSON error to stdout instead.",
            "With --async, prints the id of the queued invocation (see 'arrow invocations', 'arrow logs')."
        })
final class InvokeCommand implements Callable<Integer> {


    @Parameters(index = "0", paramLabel = "NAME", description = "The arrow.")
    String name;

    @Option(names = {"-d", "--data"}, paramLabel = "DATA",
            description = "The program's stdin: a string, @FILE for a file's bytes, or - to read arrow's own stdin"
                    + " (default: empty).")
    String data;

    @Option(names = "--async", description = "Queue the invocation and print its id instead of waiting.")
    boolean async;

    @Option(names = {"-v", "--verbose"}, description = "Print the X-Arrow-* headers (id, revision, cold start,"
            + " durations, billed time) on stderr.")
    boolean verbose;

    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws Exception {
        CliContext context = node.context();
        RequestBody body = body(context);
        try (ArrowClient client = node.client()) {
            InvokeResult result;
            try {
                result = client.invoke(name, body, async);
            } catch (ApiException e) {
                if (!ExitStatus.isInvocationFailure(e)) {
                    throw e;
                }
                if (verbose) {
                    printHeaders(ArrowHeaders.of(e.headers()), context);
                }
                return failed(e, context);
            }
            if (verbose) {
                printHeaders(result.arrowHeaders(), context);
            }
            if (async) {
                JsonNode queued = Json.parse(result.body());
                if (node.json) {
                    node.printJson(queued);
                } else {
                    context.out().println(queued.path("id").asText());
                }
            } else {
                context.out().write(result.body());
            }
            context.out().flush();
            return ExitStatus.OK;
        }
    }

    private RequestBody body(CliContext context) throws IOException, CliException {
        if (data == null) {
            return RequestBody.empty();
        }
        if (data.equals("-")) {
            return RequestBody.of(context.in().readAllBytes());
        }
        if (data.startsWith("@")) {
            Path file = Path.of(data.substring(1));
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw CliException.usage("--data " + data + ": " + file + " is not a readable file");
            }
            return RequestBody.ofFile(file);
        }
        return RequestBody.of(data);
    }

    private int failed(ApiException e, CliContext context) throws IOException {
        if (node.json) {
            node.printJson(e.body());
            return ExitStatus.INVOCATION_FAILED;
        }
        JsonNode error = e.error();
        String stderrTail = error.path("stderrTail").asText("");
        if (!stderrTail.isEmpty()) {
            context.err().print(stderrTail.endsWith("\n") ? stderrTail : stderrTail + "\n");
        }
        String id = error.path("invocation").path("id").asText(ArrowHeaders.of(e.headers())
                .getOrDefault(ArrowHeaders.INVOCATION_ID, ""));
        context.err().println("arrow: " + name + " " + outcome(e) + (id.isEmpty() ? "" : " (invocation " + id + ")"));
        context.err().flush();
        return ExitStatus.INVOCATION_FAILED;
    }

    /** What went wrong, as the end of "NAME ...". */
    static String outcome(ApiException e) {
        JsonNode error = e.error();
        JsonNode record = error.path("invocation");
        return switch (e.code()) {
            case "exited" -> "exited with status " + first(error, record, "exitCode");
            case "signaled" -> "was killed by signal " + first(error, record, "signal");
            case "out_of_memory" -> "ran out of memory";
            case "timed_out" -> "timed out";
            case "pids_exhausted" -> "ran out of processes (pids limit)";
            case "failed_to_start" -> "failed to start: " + first(error, record, "reason");
            case "output_too_large" -> "wrote too much to stdout (over 6 MiB)";
            default -> "failed: " + e.message();
        };
    }

    private static String first(JsonNode error, JsonNode record, String field) {
        JsonNode value = error.has(field) ? error.get(field) : record.path(field);
        return value.isMissingNode() || value.isNull() ? "?" : value.asText();
    }

    private static void printHeaders(Map<String, String> headers, CliContext context) {
        headers.forEach((header, value) -> context.err().println(header + ": " + value));
        context.err().flush();
    }
}
