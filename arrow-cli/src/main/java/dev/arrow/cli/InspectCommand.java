package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ArrowClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code arrow inspect}: one arrow, its spec and revisions. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "Shows an arrow: the spec of the revision that gets traffic, and its revisions, newest first.",
            "With --json: {\"arrow\": <GET /v1/arrows/NAME>, \"revisions\": [<GET /v1/arrows/NAME/revisions>...]}."
        })
final class InspectCommand extends NodeCommand {

    @Parameters(index = "0", paramLabel = "NAME", description = "The arrow.")
    String name;

    @Override
    public Integer call() throws Exception {
        JsonNode arrow;
        JsonNode revisions;
        try (ArrowClient client = node.client()) {
            arrow = client.arrow(name);
            revisions = client.revisions(name).path("revisions");
        }
        if (node.json) {
            ObjectNode both = ArrowClient.object();
            both.set("arrow", arrow);
            both.set("revisions", revisions);
            node.printJson(both);
            return ExitStatus.OK;
        }
        CliContext context = node.context();
        context.out().print(render(arrow, revisions, context.clock().instant()));
        context.out().flush();
        return ExitStatus.OK;
    }

    static String render(JsonNode arrow, JsonNode revisions, Instant now) {
        JsonNode spec = arrow.path("spec");
        JsonNode limits = spec.path("limits");
        JsonNode scaling = spec.path("scaling");
        List<String[]> fields = new ArrayList<>();
        fields.add(new String[] {"name", arrow.path("name").asText()});
        fields.add(new String[] {"revision", arrow.path("trafficRevision").asText() + " (latest "
                + arrow.path("latestRevision").asText() + ")"});
        fields.add(new String[] {"created", Formats.ago(arrow.path("createdAt"), now)});
        fields.add(new String[] {"updated", Formats.ago(arrow.path("updatedAt"), now)});
        fields.add(new String[] {"mode", spec.path("mode").asText("exec")});
        fields.add(new String[] {"command", Formats.command(spec.path("command"))});
        fields.add(new String[] {"bundle", spec.path("bundle").asText("-")});
        var env = new ArrayList<String>();
        spec.path("env").properties().forEach(variable ->
                env.add(Formats.shellWord(variable.getKey() + "=" + variable.getValue().asText())));
        fields.add(new String[] {"env", env.isEmpty() ? "-" : String.join(" ", env)});
        fields.add(new String[] {"limits", "memory " + size(limits.path("memory"))
                + ", cpus " + limits.path("cpus").asText("-")
                + ", pids " + limits.path("pids").asText("-")
                + ", timeout " + Formats.duration(limits.path("timeout"))
                + ", tmpfs " + size(limits.path("tmpfs"))});
        fields.add(new String[] {"network", spec.path("network").asText("none")});
        fields.add(new String[] {"isolation", spec.path("isolation").asText("process")});
        fields.add(new String[] {"scaling", "concurrency " + scaling.path("concurrency").asText("-")
                + ", instances " + scaling.path("minInstances").asText("-") + ".."
                + scaling.path("maxInstances").asText("-")});
        fields.add(new String[] {"bindings", bindings(spec.path("bindings"))});
        fields.add(new String[] {"triggers", triggers(spec.path("triggers"))});
        var text = new StringBuilder();
        for (String[] field : fields) {
            text.append(String.format("%-11s%s%n", field[0] + ":", field[1]));
        }
        var table = new TableFormatter()
                .column("REVISION", TableFormatter.Align.RIGHT)
                .column("TRAFFIC")
                .column("CREATED")
                .column("BUNDLE")
                .column("COMMAND");
        int traffic = arrow.path("trafficRevision").asInt();
        for (JsonNode revision : revisions) {
            JsonNode revisionSpec = revision.path("spec");
            table.row(revision.path("number").asText(), revision.path("number").asInt() == traffic ? "*" : "",
                    Formats.ago(revision.path("createdAt"), now),
                    revisionSpec.path("bundle").isTextual() ? Formats.shortDigest(revisionSpec.get("bundle").asText()) : "-",
                    Formats.command(revisionSpec.path("command")));
        }
        text.append('\n').append(table.render());
        return text.toString();
    }

    /** "kv carts, sessions; queues orders", or "-" for none. */
    private static String bindings(JsonNode bindings) {
        var kinds = new ArrayList<String>();
        for (String kind : List.of("kv", "queues", "buckets")) {
            var names = new ArrayList<String>();
            bindings.path(kind).forEach(name -> names.add(name.asText()));
            if (!names.isEmpty()) {
                kinds.add(kind + " " + String.join(", ", names));
            }
        }
        if (bindings.path("events").isTextual()) {
            kinds.add("events " + bindings.get("events").asText());
        }
        return kinds.isEmpty() ? "-" : String.join("; ", kinds);
    }

    /** "schedule 0 * * * * *; queue orders", or "-" for none: each trigger's kind and what it names. */
    static String triggers(JsonNode triggers) {
        var parts = new ArrayList<String>();
        for (JsonNode trigger : triggers) {
            for (String kind : List.of("schedule", "event", "queue", "bucket", "http")) {
                if (trigger.has(kind)) {
                    JsonNode value = trigger.get(kind);
                    parts.add(kind + " " + (value.isTextual() ? value.asText() : value.toString()));
                }
            }
        }
        return parts.isEmpty() ? "-" : String.join("; ", parts);
    }

    private static String size(JsonNode bytes) {
        return bytes.isNumber() ? Formats.size(bytes.asLong()) : "-";
    }
}
