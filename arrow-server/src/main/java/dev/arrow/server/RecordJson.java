package dev.arrow.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.arrows.ArrowDetails;
import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.arrows.Revision;
import dev.arrow.platform.bundles.BundleInfo;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.sandbox.Outcome;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;

/** The API's JSON for arrows, revisions, bundles and invocation records (docs/api.md). */
final class RecordJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RecordJson() {
    }

    static ObjectNode summary(ArrowSummary summary) {
        ObjectNode out = NODES.objectNode();
        out.put("name", summary.name());
        out.put("latestRevision", summary.latestRevision());
        out.put("trafficRevision", summary.trafficRevision());
        out.put("createdAt", summary.createdAt().toString());
        out.put("updatedAt", summary.updatedAt().toString());
        return out;
    }

    static ObjectNode arrow(ArrowDetails details) {
        ObjectNode out = summary(details.summary());
        out.set("spec", SpecJson.write(details.traffic().spec()));
        return out;
    }

    static ObjectNode revision(Revision revision) {
        ObjectNode out = NODES.objectNode();
        out.put("number", revision.number());
        out.put("createdAt", revision.createdAt().toString());
        out.set("spec", SpecJson.write(revision.spec()));
        return out;
    }

    static ObjectNode bundle(BundleInfo info) {
        ObjectNode out = NODES.objectNode();
        out.put("digest", info.digest());
        out.put("files", info.files());
        out.put("bytes", info.bytes());
        out.put("created", info.created());
        return out;
    }

    static ObjectNode invocation(InvocationRecord record) {
        ObjectNode out = NODES.objectNode();
        out.put("id", record.id());
        out.put("arrow", record.arrow());
        out.put("revision", record.revision());
        out.put("trigger", record.trigger().name().toLowerCase(Locale.ROOT));
        out.put("status", record.status().name().toLowerCase(Locale.ROOT));
        out.put("acceptedAt", record.acceptedAt().toString());
        record.startedAt().ifPresent(at -> out.put("startedAt", at.toString()));
        out.put("attempts", record.attempts());
        record.execution().ifPresent(run -> execution(out, run));
        return out;
    }

    private static void execution(ObjectNode out, Execution run) {
        out.put("cold", run.cold());
        run.instance().ifPresent(instance -> out.put("instance", instance));
        out.put("isolation", run.isolation().label());
        run.accelerator().ifPresent(accelerator -> out.put("accelerator", accelerator));
        out.put("initMs", millis(run.initTime()));
        out.put("durationMs", millis(run.duration()));
        out.put("outcome", run.outcome().name());
        switch (run.outcome()) {
            case Outcome.Exited exited -> out.put("exitCode", exited.code());
            case Outcome.Signaled signaled -> out.put("signal", signaled.signal());
            case Outcome.FailedToStart failed -> {
                out.put("reason", failed.reason());
                out.put("detail", failed.detail());
            }
            case Outcome.OutOfMemory _, Outcome.TimedOut _, Outcome.PidsExhausted _ -> { }
        }
        run.error().ifPresent(error -> out.put("error", error.message()));
        out.put("cpuUserMs", millis(run.cpuUser()));
        out.put("cpuSystemMs", millis(run.cpuSystem()));
        out.put("peakMemoryBytes", run.peakMemoryBytes());
        out.put("memoryLimitBytes", run.memoryLimitBytes());
        out.put("billedMs", run.billed().toMillis());
        out.put("gbSeconds", run.gbSeconds());
        out.put("outputBytes", run.outputBytes());
        out.put("logBytes", run.logBytes());
        out.put("logTruncated", run.logTruncated());
    }

    /** Milliseconds with three decimals: microseconds are the resolution anyone reading cares about. */
    static BigDecimal millis(Duration duration) {
        return BigDecimal.valueOf(duration.toNanos(), 6).setScale(3, RoundingMode.HALF_UP);
    }
}
