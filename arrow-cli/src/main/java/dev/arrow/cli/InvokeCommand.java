package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.cli.client.ApiException;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.ArrowHeaders;
import dev.arrow.cli.client.InvokeResult;
import dev.arrow.cli.client.Json;
import dev.arrow.cli.client.RequestBody;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import picocli.CommandLine.Command;
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
            "With --async, prints the id of the queued invocation (see 'arrow invocations', 'arrow logs');"
                    + " the submit carries a random Idempotency-Key (or --idempotency-key), and one whose"
                    + " connection fails before the node answers is sent again with it: it runs once."
        })
final class InvokeCommand extends NodeCommand {

    private static final String REPLAYED = "Idempotent-Replayed";

    @Parameters(index = "0", paramLabel = "NAME", description = "The arrow.")
    String name;

    @Option(names = {"-d", "--data"}, paramLabel = "DATA",
            description = "The program's stdin: a string, @FILE for a file's bytes, or - to read arrow's own stdin"
                    + " (default: empty).")
    String data;

    @Option(names = "--async", description = "Queue the invocation and print its id instead of waiting.")
    boolean async;

    @Option(names = "--idempotency-key", paramLabel = "KEY", converter = Converters.IdempotencyKey.class,
            description = "Send this Idempotency-Key: a retry with the same KEY and data within 24 h gets the first"
                    + " answer again instead of running again (default with --async: a random one).")
    String idempotencyKey;

    @Option(names = {"-v", "--verbose"}, description = "Print the X-Arrow-* headers (id, revision, cold start,"
            + " durations, billed time) on stderr.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        CliContext context = node.context();
        RequestBody body = body(context);
        try (ArrowClient client = node.client()) {
            InvokeResult result;
            try {
                String key = idempotencyKey != null ? idempotencyKey : async ? randomKey() : null;
                result = client.invoke(name, body, async, key);
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
                result.headers().firstValue(REPLAYED).ifPresent(value -> context.err().println(REPLAYED + ": " + value));
                context.err().flush();
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

    /**
     * A random UUID (version 4) made of 16 bytes of /dev/urandom: {@link UUID#randomUUID()} would
     * set up a {@code SecureRandom} and its security providers, about 100 ms of a command's start.
     */
    static String randomKey() {
        byte[] random = new byte[0];
        try (InputStream in = new FileInputStream("/dev/urandom")) {
            random = in.readNBytes(16);
        } catch (IOException e) {
            // below
        }
        if (random.length < 16) {
            random = new byte[16];
            new SplittableRandom().nextBytes(random); // seeded from the clocks: unique enough for a retry's key
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = high << 8 | (random[i] & 0xff);
            low = low << 8 | (random[8 + i] & 0xff);
        }
        high = high & ~0xf000L | 0x4000L; // version 4
        low = low & 0x3fffffffffffffffL | 0x8000000000000000L; // the IETF variant
        return new UUID(high, low).toString();
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
