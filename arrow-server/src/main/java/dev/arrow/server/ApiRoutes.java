package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.Idempotent;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.ArrowDetails;
import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.platform.arrows.ArrowService;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.bundles.ArchiveFormat;
import dev.arrow.platform.bundles.BundleInfo;
import dev.arrow.platform.bundles.BundleStore;
import dev.arrow.platform.invocations.CompletedInvocation;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationQuery;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.InvocationStatus;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.sandbox.Outcome;
import dev.arrow.services.kv.KvService;
import dev.arrow.services.objects.AccessKeys;
import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.queues.QueueService;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The REST API's routes (docs/api.md; the OpenAPI file lists the same set, checked by a test). */
final class ApiRoutes {

    static final long MAX_BUNDLE_UPLOAD = 100L << 20;
    private static final int DEFAULT_LOG_ENTRIES = 20;

    private final ArrowService arrows;
    private final InvocationService invocations;
    private final BundleStore bundles;
    private final KvService kv;
    private final QueueService queues;
    private final AccessKeys keys;
    private final ObjectService objects;
    private final NodeMetrics metrics;
    private final byte[] openApi;
    private final int maxInputBytes;
    private final NodeEvents events;
    private final ArrowTriggers triggers;
    private final FlowRoutes flows; // null: a node without flows

    ApiRoutes(ArrowService arrows, InvocationService invocations, BundleStore bundles, KvService kv, QueueService queues,
            AccessKeys keys, ObjectService objects, NodeMetrics metrics, byte[] openApi, int maxInputBytes, NodeEvents events,
            ArrowTriggers triggers) {
        this(arrows, invocations, bundles, kv, queues, keys, objects, metrics, openApi, maxInputBytes, events, triggers, null);
    }

    ApiRoutes(ArrowService arrows, InvocationService invocations, BundleStore bundles, KvService kv, QueueService queues,
            AccessKeys keys, ObjectService objects, NodeMetrics metrics, byte[] openApi, int maxInputBytes, NodeEvents events,
            ArrowTriggers triggers, FlowRoutes flows) {
        this.flows = flows;
        this.events = events;
        this.triggers = triggers;
        this.objects = objects;
        this.maxInputBytes = maxInputBytes;
        this.arrows = arrows;
        this.invocations = invocations;
        this.bundles = bundles;
        this.kv = kv;
        this.queues = queues;
        this.keys = keys;
        this.metrics = metrics;
        this.openApi = openApi;
    }

    Router router() {
        Router router = routes();
        return flows == null ? router : flows.addTo(router);
    }

    private Router routes() {
        return new EventRoutes(events, Clock.systemUTC(), triggers).addTo(new BucketRoutes(objects).addTo(
                new KeyRoutes(keys).addTo(new QueueRoutes(queues).addTo(new KvRoutes(kv).addTo(arrowRoutes())))));
    }

    private Router arrowRoutes() {
        return new Router()
                .add("GET", "/healthz", ex -> ex.bytes(200, "application/json", "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8)))
                .add("GET", "/metrics", ex -> ex.bytes(200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape().getBytes(StandardCharsets.UTF_8)))
                .add("GET", "/v1/openapi.json", ex -> ex.bytes(200, "application/json", openApi))
                .add("POST", "/v1/bundles", this::uploadBundle)
                .add("POST", "/v1/arrows", this::deploy)
                .add("GET", "/v1/arrows", this::listArrows)
                .add("GET", "/v1/arrows/{name}", ex -> ex.json(200, RecordJson.arrow(arrows.details(ex.param("name")))))
                .add("DELETE", "/v1/arrows/{name}", ex -> {
                    arrows.delete(ex.param("name"));
                    invocations.arrowChanged(ex.param("name"));
                    ex.empty(204);
                })
                .add("GET", "/v1/arrows/{name}/revisions", this::listRevisions)
                .add("GET", "/v1/arrows/{name}/revisions/{number}", ex -> ex.json(200,
                        RecordJson.revision(arrows.revision(ex.param("name"), positive(ex.param("number"), "number")))))
                .add("POST", "/v1/arrows/{name}/rollback", this::rollback)
                .add("POST", "/v1/arrows/{name}/invoke", this::invoke)
                .add("GET", "/v1/arrows/{name}/logs", this::arrowLogs)
                .add("GET", "/v1/invocations", this::listInvocations)
                .add("GET", "/v1/invocations/{id}", ex -> ex.json(200, RecordJson.invocation(invocations.get(ex.param("id")))))
                .add("GET", "/v1/invocations/{id}/output", ex -> ex.bytes(200, "application/octet-stream",
                        invocations.output(ex.param("id"))))
                .add("GET", "/v1/invocations/{id}/logs", ex -> ex.bytes(200, "text/plain; charset=utf-8",
                        invocations.log(ex.param("id")).getBytes(StandardCharsets.UTF_8)));
    }

    private void uploadBundle(Exchange ex) throws IOException {
        String type = ex.header("Content-Type").orElse("");
        ArchiveFormat format = ArchiveFormat.detect(type).orElseThrow(() -> new ApiError(415, "unsupported_media_type",
                "upload a bundle as application/gzip (.tar.gz) or application/zip, not '" + type + "'"));
        if (ex.contentLength() > MAX_BUNDLE_UPLOAD) {
            throw new ApiError(413, "payload_too_large", "bundles are at most " + MAX_BUNDLE_UPLOAD + " bytes packed");
        }
        BundleInfo info;
        try (InputStream body = ex.bodyStream()) {
            info = bundles.put(body, format);
        }
        ex.json(info.created() ? 201 : 200, RecordJson.bundle(info));
    }

    private void deploy(Exchange ex) throws IOException {
        Optional<String> key = idempotencyKey(ex);
        byte[] body = ex.body(Exchange.MAX_JSON_BYTES);
        ArrowSpec spec = SpecJson.parse(ex.json(body, false));
        Idempotent<ArrowDetails> deployed = triggers.deploy(spec, () -> {
            var done = arrows.deploy(spec, key.map(text -> IdempotencyKey.of(text, spec.name(), body)));
            // A replay too: it may come before the first deploy's own call, which must not be missed.
            invocations.arrowChanged(spec.name());
            return done;
        });
        markReplayed(ex, deployed);
        ex.json(201, RecordJson.arrow(deployed.result()));
    }

    /**
     * The request's {@code Idempotency-Key}: a Structured Fields string ({@code "..."}, as the IETF
     * draft writes it) or the bare key (as Stripe's clients send it); checked before the body is read.
     */
    static Optional<String> idempotencyKey(Exchange ex) {
        List<String> values = ex.headers(IdempotencyKey.FIELD);
        if (values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw ApiError.invalid(IdempotencyKey.FIELD, "send one " + IdempotencyKey.FIELD + ", not " + values.size());
        }
        return Optional.of(IdempotencyKey.requireValid(unquoted(values.getFirst().strip())));
    }

    /** A Structured Fields string's content (RFC 9651: only \\ and \" are escapes); anything else as it is. */
    static String unquoted(String value) {
        if (value.length() < 2 || value.charAt(0) != '"' || value.charAt(value.length() - 1) != '"') {
            return value;
        }
        var key = new StringBuilder(value.length());
        for (int i = 1; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c == '"') {
                throw ApiError.invalid(IdempotencyKey.FIELD, IdempotencyKey.FIELD + " is a quoted string with a bare '\"'"
                        + " inside: escape it as \\\"");
            }
            if (c == '\\') {
                char next = i + 1 < value.length() - 1 ? value.charAt(++i) : 0;
                if (next != '"' && next != '\\') {
                    throw ApiError.invalid(IdempotencyKey.FIELD, IdempotencyKey.FIELD
                            + " is a quoted string with a '\\' that escapes neither '\"' nor '\\'");
                }
                c = next;
            }
            key.append(c);
        }
        return key.toString();
    }

    /** Stripe's mark on an answer given again for a retry under its idempotency key. */
    private static void markReplayed(Exchange ex, Idempotent<?> result) {
        if (result.replayed()) {
            ex.setHeader("Idempotent-Replayed", "true");
        }
    }

    private void listArrows(Exchange ex) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("arrows");
        arrows.list().forEach(summary -> list.add(RecordJson.summary(summary)));
        ex.json(200, out);
    }

    private void listRevisions(Exchange ex) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("revisions");
        arrows.revisions(ex.param("name")).forEach(revision -> list.add(RecordJson.revision(revision)));
        ex.json(200, out);
    }

    private void rollback(Exchange ex) throws IOException {
        JsonNode body = ex.json(true);
        var unknown = new java.util.ArrayList<String>();
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("revision")) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw ApiError.invalid(unknown.getFirst(), "unknown field '" + unknown.getFirst() + "'");
        }
        Optional<Integer> revision = Optional.empty();
        JsonNode node = body.get("revision");
        if (node != null && !node.isNull()) {
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw ApiError.invalid("revision", "revision must be a whole number");
            }
            revision = Optional.of(node.intValue());
        }
        Optional<Integer> to = revision;
        var rolledBack = triggers.rollback(ex.param("name"), to, () -> {
            var done = arrows.rollback(ex.param("name"), to);
            invocations.arrowChanged(ex.param("name"));
            return done;
        });
        ex.json(200, RecordJson.arrow(rolledBack));
    }

    private void invoke(Exchange ex) throws Exception {
        String name = ex.param("name");
        ArrowName.require(name, "name");
        boolean async = async(ex);
        Optional<String> keyText = idempotencyKey(ex);
        byte[] input = ex.body(maxInputBytes);
        Optional<IdempotencyKey> key = keyText.map(text -> IdempotencyKey.of(text, name, input));
        if (async) {
            Idempotent<InvocationRecord> submitted = invocations.submit(name, input, key);
            InvocationRecord accepted = submitted.result();
            markReplayed(ex, submitted);
            ex.setHeader("Location", "/v1/invocations/" + accepted.id());
            ex.setHeader("X-Arrow-Invocation-Id", accepted.id());
            ObjectNode out = Exchange.JSON.createObjectNode();
            out.put("id", accepted.id());
            out.put("status", "queued");
            ex.json(202, out);
            return;
        }
        Idempotent<CompletedInvocation> invoked = invocations.invoke(name, input, key);
        markReplayed(ex, invoked);
        CompletedInvocation done = invoked.result();
        Execution run = done.execution();
        ex.setHeader("X-Arrow-Invocation-Id", done.record().id());
        ex.setHeader("X-Arrow-Revision", Integer.toString(done.record().revision()));
        ex.setHeader("X-Arrow-Cold", Boolean.toString(run.cold()));
        ex.setHeader("X-Arrow-Init-Ms", RecordJson.millis(run.initTime()).toPlainString());
        ex.setHeader("X-Arrow-Duration-Ms", RecordJson.millis(run.duration()).toPlainString());
        ex.setHeader("X-Arrow-Billed-Ms", Long.toString(run.billed().toMillis()));
        if (done.record().status() == InvocationStatus.SUCCEEDED) {
            ex.bytes(200, "application/octet-stream", done.output());
            return;
        }
        ObjectNode extra = Exchange.JSON.createObjectNode();
        switch (run.outcome()) {
            case Outcome.Exited exited -> extra.put("exitCode", exited.code());
            case Outcome.Signaled signaled -> extra.put("signal", signaled.signal());
            case Outcome.FailedToStart failed -> extra.put("reason", failed.reason());
            default -> { }
        }
        extra.put("stderrTail", done.stderrTail());
        extra.set("invocation", RecordJson.invocation(done.record()));
        String code = run.error().map(RunError::code).orElse(run.outcome().name().replace('-', '_'));
        int status = run.outcome() instanceof Outcome.TimedOut ? 504 : 502;
        ex.error(status, code, failureMessage(name, run), Optional.empty(), extra);
    }

    private static String failureMessage(String name, Execution run) {
        if (run.error().isPresent()) {
            return "'" + name + "' failed: " + run.error().get().message();
        }
        return switch (run.outcome()) {
            case Outcome.Exited exited -> "'" + name + "' exited with status " + exited.code();
            case Outcome.Signaled signaled -> "'" + name + "' was killed by signal " + signaled.signal();
            case Outcome.OutOfMemory _ -> "'" + name + "' ran out of memory (limit " + run.memoryLimitBytes() + " bytes)";
            case Outcome.TimedOut _ -> "'" + name + "' timed out after " + run.duration().toMillis() + " ms";
            case Outcome.PidsExhausted _ -> "'" + name + "' hit its limit on processes";
            case Outcome.FailedToStart failed -> "'" + name + "' failed to start: " + failed.detail();
        };
    }

    private static boolean async(Exchange ex) {
        Optional<String> flag = ex.query("async");
        if (flag.isPresent()) {
            return switch (flag.get().toLowerCase(Locale.ROOT)) {
                case "true", "1", "" -> true;
                case "false", "0" -> false;
                default -> throw ApiError.invalid("async", "async must be true or false");
            };
        }
        return ex.header("Prefer").map(prefer -> prefer.toLowerCase(Locale.ROOT).contains("respond-async")).orElse(false);
    }

    private void arrowLogs(Exchange ex) {
        String name = ex.param("name");
        arrows.details(name); // 404 for an unknown arrow, rather than an empty list
        int limit = ex.query("limit").map(value -> positive(value, "limit")).orElse(DEFAULT_LOG_ENTRIES);
        List<InvocationRecord> records = invocations.list(
                new InvocationQuery(Optional.of(name), Optional.empty(), Math.min(limit, InvocationQuery.MAX_LIMIT), Optional.empty()));
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode entries = out.putArray("entries");
        for (InvocationRecord record : records) {
            ObjectNode entry = entries.addObject();
            entry.put("id", record.id());
            entry.put("acceptedAt", record.acceptedAt().toString());
            entry.put("status", record.status().name().toLowerCase(Locale.ROOT));
            entry.put("log", invocations.log(record));
        }
        ex.json(200, out);
    }

    private void listInvocations(Exchange ex) {
        Optional<String> arrow = ex.query("arrow").filter(value -> !value.isEmpty());
        Optional<InvocationStatus> status = ex.query("status").filter(value -> !value.isEmpty()).map(ApiRoutes::status);
        int limit = ex.query("limit").map(value -> positive(value, "limit")).orElse(InvocationQuery.DEFAULT_LIMIT);
        Optional<String> before = ex.query("before").filter(value -> !value.isEmpty());
        List<InvocationRecord> records = invocations.list(new InvocationQuery(arrow, status, limit, before));
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("invocations");
        records.forEach(record -> list.add(RecordJson.invocation(record)));
        if (records.size() == limit) {
            out.put("next", records.getLast().id());
        } else {
            out.putNull("next");
        }
        ex.json(200, out);
    }

    private static InvocationStatus status(String value) {
        try {
            return InvocationStatus.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("status", "status must be queued, running, succeeded or failed, not '" + value + "'");
        }
    }

    private static int positive(String value, String field) {
        try {
            int number = Integer.parseInt(value);
            if (number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // falls through to the error
        }
        throw new InvalidInputException(field, field + " must be a whole number from 1, not '" + value + "'");
    }
}
