package dev.arrow.events.triggers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.events.filters.Filters;
import dev.arrow.events.schedules.CronSchedule;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.ArrowName;
import dev.arrow.sandbox.Units;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An arrow's {@code triggers} read from its manifest's JSON: a list of objects, each with one
 * kind's key (schedule, event, queue, bucket, http) and that kind's options beside it. Every error
 * names its field ({@code triggers[2].retry.attempts}); a trigger naming a queue or bucket the
 * arrow does not bind is refused, as are two of its own HTTP routes that overlap.
 */
public final class Triggers {

    public static final int MAX_TRIGGERS = 20;
    private static final Duration MAX_BATCH_WINDOW = Duration.ofMinutes(5);
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");
    private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    /** What a route may not claim: the node's own paths. */
    private static final List<String> RESERVED = List.of("/v1", "/a", "/metrics", "/healthz", "/openapi.json");

    private Triggers() {
    }

    /**
     * The triggers of {@code list} (null or missing: none).
     *
     * @param queues  the queues the arrow binds
     * @param buckets the buckets the arrow binds
     */
    public static List<Trigger> parse(JsonNode list, Set<String> queues, Set<String> buckets) {
        if (list == null || list.isNull() || list.isMissingNode()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new InvalidInputException("triggers", "triggers must be a list, e.g. [{\"queue\": \"orders\"}]");
        }
        if (list.size() > MAX_TRIGGERS) {
            throw new InvalidInputException("triggers", "an arrow has at most " + MAX_TRIGGERS + " triggers, not " + list.size());
        }
        var triggers = new ArrayList<Trigger>();
        for (int i = 0; i < list.size(); i++) {
            Trigger trigger = one(list.get(i), "triggers[" + i + "]", queues, buckets);
            if (trigger instanceof Trigger.Http route) {
                for (int j = 0; j < triggers.size(); j++) {
                    if (triggers.get(j) instanceof Trigger.Http earlier && earlier.overlaps(route)) {
                        throw new InvalidInputException("triggers[" + i + "].http.path", "triggers[" + i + "]: the route "
                                + route.path() + " overlaps triggers[" + j + "]'s " + earlier.path());
                    }
                }
            }
            triggers.add(trigger);
        }
        return List.copyOf(triggers);
    }

    private static Trigger one(JsonNode node, String field, Set<String> queues, Set<String> buckets) {
        if (node == null || !node.isObject()) {
            throw new InvalidInputException(field, field + " must be an object with one of " + String.join(", ", Trigger.KINDS));
        }
        List<String> kinds = Trigger.KINDS.stream().filter(node::has).toList();
        if (kinds.size() != 1) {
            throw new InvalidInputException(field, field + (kinds.isEmpty() ? " has no kind" : " has " + kinds.size() + " kinds")
                    + ": give exactly one of " + String.join(", ", Trigger.KINDS));
        }
        String kind = kinds.getFirst();
        var options = new Options(node, field, kind);
        Trigger trigger = switch (kind) {
            case "schedule" -> schedule(node.get(kind), options);
            case "event" -> new Trigger.Event(Filters.parseShorthand(node.get(kind), field + ".event"), delivery(options));
            case "queue" -> queue(node.get(kind), options, queues);
            case "bucket" -> bucket(node.get(kind), options, buckets);
            case "http" -> http(node.get(kind), field + ".http", options);
            default -> throw new IllegalStateException(kind);
        };
        options.refuseUnknown();
        return trigger;
    }

    private static Trigger.Schedule schedule(JsonNode value, Options options) {
        String field = options.field + ".schedule";
        if (!value.isTextual()) {
            throw new InvalidInputException(field, field + " must be a cron expression string, e.g. \"0 */5 * * * *\"");
        }
        JsonNode zone = options.take("timezone");
        if (zone != null && !zone.isTextual()) {
            throw new InvalidInputException(options.field + ".timezone", options.field + ".timezone must be a string like Europe/Paris");
        }
        CronSchedule schedule = CronSchedule.parse(value.textValue(), zone == null ? null : zone.textValue(), field,
                options.field + ".timezone");
        boolean overlap = options.bool("overlap", false);
        return new Trigger.Schedule(schedule, overlap, delivery(options));
    }

    private static Trigger.Queue queue(JsonNode value, Options options, Set<String> queues) {
        String field = options.field + ".queue";
        String queue = boundName(value, field, "queue", queues, "queues");
        int batchSize = options.integer("batchSize", 1, Trigger.Queue.MAX_BATCH, 1);
        Duration window = options.duration("batchWindow", Duration.ZERO);
        if (window.compareTo(MAX_BATCH_WINDOW) > 0) {
            throw new InvalidInputException(options.field + ".batchWindow", options.field + ".batchWindow must be at most 5m");
        }
        for (String own : List.of("retry", "deadLetterQueue")) {
            if (options.node.has(own)) {
                throw new InvalidInputException(options.field + "." + own, options.field + "." + own + ": a queue trigger's"
                        + " failures are retried by the queue itself (its visibility timeout, maxReceiveCount and"
                        + " dead-letter queue): set them on the queue");
            }
        }
        return new Trigger.Queue(queue, batchSize, window, DeliveryPolicy.DEFAULT);
    }

    private static Trigger.Bucket bucket(JsonNode value, Options options, Set<String> buckets) {
        String bucket = boundName(value, options.field + ".bucket", "bucket", buckets, "buckets");
        var events = EnumSet.noneOf(Trigger.BucketEvent.class);
        JsonNode list = options.take("events");
        if (list == null) {
            events = EnumSet.allOf(Trigger.BucketEvent.class);
        } else {
            String field = options.field + ".events";
            if (!list.isArray() || list.isEmpty()) {
                throw new InvalidInputException(field, field + " must be a non-empty list of created, deleted");
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode event = list.get(i);
                try {
                    events.add(Trigger.BucketEvent.valueOf(event.asText("").toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(field + "[" + i + "]", field + "[" + i + "]: '" + event.asText()
                            + "' is not an object event; use created or deleted");
                }
            }
        }
        String prefix = options.text("prefix", "");
        String suffix = options.text("suffix", "");
        return new Trigger.Bucket(bucket, events, prefix, suffix, delivery(options));
    }

    private static Trigger.Http http(JsonNode value, String field, Options options) {
        if (!value.isObject()) {
            throw new InvalidInputException(field, field + " must be an object like {path: /api/orders, methods: [POST]}");
        }
        var route = new Options(value, field, null);
        String path = route.text("path", null);
        if (path == null || !path.startsWith("/") || path.contains("//") || path.contains("?") || path.contains("#")
                || path.contains("/../") || path.endsWith("/..") || path.contains("/./") || path.length() > 1024) {
            throw new InvalidInputException(field + ".path", field + ".path must be an absolute path like /api/orders"
                    + " (no '//', '.', '..', '?' or '#')");
        }
        for (String reserved : RESERVED) {
            if (Trigger.Http.covers(reserved, path) || Trigger.Http.covers(path, reserved)) {
                throw new InvalidInputException(field + ".path", field + ".path " + path + " overlaps the node's own " + reserved);
            }
        }
        var methods = new LinkedHashSet<String>();
        JsonNode list = route.take("methods");
        if (list != null) {
            if (!list.isArray()) {
                throw new InvalidInputException(field + ".methods", field + ".methods must be a list like [GET, POST]");
            }
            for (int i = 0; i < list.size(); i++) {
                String method = list.get(i).asText("");
                if (!METHOD.matcher(method).matches()) {
                    throw new InvalidInputException(field + ".methods[" + i + "]", field + ".methods[" + i + "]: '" + method
                            + "' is not an HTTP method in upper case");
                }
                methods.add(method);
            }
        }
        String host = route.text("host", null);
        if (host != null && (host.length() > 253 || !HOST.matcher(host.toLowerCase(Locale.ROOT)).matches())) {
            throw new InvalidInputException(field + ".host", field + ".host: '" + host + "' is not a host name");
        }
        route.refuseUnknown();
        return new Trigger.Http(path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path,
                methods, Optional.ofNullable(host).map(h -> h.toLowerCase(Locale.ROOT)));
    }

    private static String boundName(JsonNode value, String field, String what, Set<String> bound, String binding) {
        if (!value.isTextual() || !ArrowName.isValid(value.textValue())) {
            throw new InvalidInputException(field, field + " must name a " + what + " (1 to 63 lowercase letters, digits and '-')");
        }
        String name = value.textValue();
        if (!bound.contains(name)) {
            throw new InvalidInputException(field, field + ": this arrow does not bind the " + what + " '" + name
                    + "'; add it to bindings." + binding);
        }
        return name;
    }

    private static DeliveryPolicy delivery(Options options) {
        JsonNode retry = options.take("retry");
        DeliveryPolicy base = DeliveryPolicy.DEFAULT;
        int attempts = base.attempts();
        Duration baseDelay = base.baseDelay();
        Duration maxDelay = base.maxDelay();
        Duration maxAge = base.maxAge();
        if (retry != null) {
            var fields = new Options(retry, options.field + ".retry", null);
            if (!retry.isObject()) {
                throw new InvalidInputException(fields.field, fields.field + " must be an object: {attempts, baseDelay, maxDelay, maxAge}");
            }
            attempts = fields.integer("attempts", 1, DeliveryPolicy.MAX_ATTEMPTS, attempts);
            baseDelay = fields.duration("baseDelay", baseDelay);
            maxDelay = fields.duration("maxDelay", maxDelay);
            maxAge = fields.duration("maxAge", maxAge);
            if (maxDelay.compareTo(baseDelay) < 0) {
                throw new InvalidInputException(fields.field + ".maxDelay", fields.field + ".maxDelay must be at least baseDelay");
            }
            if (maxAge.isZero() || maxAge.compareTo(DeliveryPolicy.MAX_AGE_LIMIT) > 0) {
                throw new InvalidInputException(fields.field + ".maxAge", fields.field + ".maxAge must be over 0 and at most 14 days");
            }
            fields.refuseUnknown();
        }
        Optional<String> deadLetters = Optional.empty();
        JsonNode queue = options.take("deadLetterQueue");
        if (queue != null) {
            String field = options.field + ".deadLetterQueue";
            if (!queue.isTextual() || !ArrowName.isValid(queue.textValue())) {
                throw new InvalidInputException(field, field + " must name a queue (1 to 63 lowercase letters, digits and '-')");
            }
            deadLetters = Optional.of(queue.textValue());
        }
        return new DeliveryPolicy(attempts, baseDelay, maxDelay, maxAge, deadLetters);
    }

    /** A trigger's option fields, taken one by one so that what is left over can be refused by name. */
    private static final class Options {
        final JsonNode node;
        final String field;
        private final Set<String> taken = new LinkedHashSet<>();

        Options(JsonNode node, String field, String kind) {
            this.node = node;
            this.field = field;
            if (kind != null) {
                taken.add(kind);
            }
        }

        JsonNode take(String name) {
            taken.add(name);
            JsonNode value = node.get(name);
            return value == null || value.isNull() ? null : value;
        }

        boolean bool(String name, boolean otherwise) {
            JsonNode value = take(name);
            if (value == null) {
                return otherwise;
            }
            if (!value.isBoolean()) {
                throw new InvalidInputException(field + "." + name, field + "." + name + " must be true or false");
            }
            return value.booleanValue();
        }

        String text(String name, String otherwise) {
            JsonNode value = take(name);
            if (value == null) {
                return otherwise;
            }
            if (!value.isTextual()) {
                throw new InvalidInputException(field + "." + name, field + "." + name + " must be a string");
            }
            return value.textValue();
        }

        int integer(String name, int min, int max, int otherwise) {
            JsonNode value = take(name);
            if (value == null) {
                return otherwise;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min || value.intValue() > max) {
                throw new InvalidInputException(field + "." + name, field + "." + name + " must be a whole number from "
                        + min + " to " + max + ", not " + value);
            }
            return value.intValue();
        }

        /** Milliseconds as a number, or a duration like "10s". */
        Duration duration(String name, Duration otherwise) {
            JsonNode value = take(name);
            String at = field + "." + name;
            if (value == null) {
                return otherwise;
            }
            Duration duration;
            if (value.isIntegralNumber() && value.canConvertToLong()) {
                duration = Duration.ofMillis(value.longValue());
            } else if (value.isTextual()) {
                try {
                    duration = Units.parseDuration(value.textValue());
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(at, at + ": " + e.getMessage());
                }
            } else {
                throw new InvalidInputException(at, at + " must be milliseconds or a duration like \"10s\", not " + value);
            }
            if (duration.isNegative()) {
                throw new InvalidInputException(at, at + " must not be negative");
            }
            return duration;
        }

        void refuseUnknown() {
            for (var names = node.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!taken.contains(name)) {
                    throw new InvalidInputException(field + "." + name, field + ": '" + name + "' is not an option here");
                }
            }
        }
    }
}
