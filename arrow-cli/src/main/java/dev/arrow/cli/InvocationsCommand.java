package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code arrow invocations}: invocation records, newest first. */
@Command(
        name = "invocations",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Lists invocations, newest first, of one arrow or all. When there are more, the command for"
                + " the next page is printed on stderr.")
final class InvocationsCommand extends NodeCommand {

    enum Status { QUEUED, RUNNING, SUCCEEDED, FAILED }

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Only this arrow's.")
    String arrow;

    @Option(names = "--status", paramLabel = "STATUS", description = "Only these: ${COMPLETION-CANDIDATES}.")
    Status status;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "At most N, 1 to 1000 (node default: 100).")
    Integer limit;

    @Option(names = "--before", paramLabel = "ID", description = "Only those older than this invocation (paging).")
    String before;

    @Override
    public Integer call() throws Exception {
        String wanted = status == null ? null : status.name().toLowerCase(Locale.ROOT);
        JsonNode page = node.fetch(client -> client.invocations(arrow, wanted, limit, before));
        if (node.json) {
            node.printJson(page);
            return ExitStatus.OK;
        }
        CliContext context = node.context();
        context.out().print(render(page.path("invocations"), context.clock().instant()));
        context.out().flush();
        if (page.path("next").isTextual()) {
            context.err().println("more: arrow invocations" + (arrow == null ? "" : " " + arrow)
                    + (status == null ? "" : " --status " + status.name().toLowerCase(Locale.ROOT))
                    + (limit == null ? "" : " --limit " + limit) + " --before " + page.get("next").asText());
            context.err().flush();
        }
        return ExitStatus.OK;
    }

    static String render(JsonNode invocations, Instant now) {
        var table = new TableFormatter()
                .column("ID")
                .column("ARROW")
                .column("REV", TableFormatter.Align.RIGHT)
                .column("TRIGGER")
                .column("STATUS")
                .column("OUTCOME")
                .column("DURATION", TableFormatter.Align.RIGHT)
                .column("BILLED", TableFormatter.Align.RIGHT)
                .column("MEMORY", TableFormatter.Align.RIGHT)
                .column("COLD")
                .column("ISOLATION")
                .column("ACCEPTED");
        for (JsonNode record : invocations) {
            table.row(record.path("id").asText(), record.path("arrow").asText(), record.path("revision").asText(),
                    record.path("trigger").asText("-"), record.path("status").asText(), outcome(record),
                    Formats.duration(record.path("durationMs")), Formats.duration(record.path("billedMs")),
                    record.path("peakMemoryBytes").isNumber() ? Formats.size(record.get("peakMemoryBytes").asLong()) : "-",
                    record.path("cold").isBoolean() ? (record.get("cold").asBoolean() ? "cold" : "warm") : "-",
                    isolation(record), Formats.ago(record.path("acceptedAt"), now));
        }
        return table.render();
    }

    /** "process", "vm (tcg)": the tier the run was in, and a VM's accelerator; "-" before it has finished. */
    static String isolation(JsonNode record) {
        String isolation = record.path("isolation").asText("");
        if (isolation.isEmpty()) {
            return "-";
        }
        return record.path("accelerator").isTextual() ? isolation + " (" + record.get("accelerator").asText() + ")"
                : isolation;
    }

    /** "exited 0", "signaled 9", "timed_out"; "-" before the invocation has finished. */
    static String outcome(JsonNode record) {
        String outcome = record.path("outcome").asText("");
        if (outcome.isEmpty()) {
            return "-";
        }
        if (outcome.equals("exited") && record.has("exitCode")) {
            return "exited " + record.get("exitCode").asText();
        }
        if (outcome.equals("signaled") && record.has("signal")) {
            return "signaled " + record.get("signal").asText();
        }
        return outcome;
    }
}
