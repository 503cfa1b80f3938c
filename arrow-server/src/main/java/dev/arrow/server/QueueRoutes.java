package dev.arrow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.sandbox.Units;
import dev.arrow.services.queues.Message;
import dev.arrow.services.queues.QueueInfo;
import dev.arrow.services.queues.QueueOptions;
import dev.arrow.services.queues.QueueService;
import dev.arrow.services.queues.QueueStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The queue routes under {@code /v1/queues} (docs/api.md, "Queues"): queues with their options and
 * figures, sends of raw bodies, receives (long polls up to 20 s, on the route's virtual thread),
 * and deletes and changes of visibility by receipt handle in a JSON body.
 */
final class QueueRoutes {

    private static final Set<String> OPTIONS = Set.of("visibilityTimeout", "retention", "maxMessageBytes", "delay",
            "maxReceiveCount", "deadLetterQueue", "maxMessages");
    private static final Set<String> RECEIVE = Set.of("maxMessages", "waitTime", "visibilityTimeout");
    private static final Set<String> HANDLE = Set.of("receiptHandle");
    private static final Set<String> VISIBILITY = Set.of("receiptHandle", "visibilityTimeout");

    private final QueueService queues;

    QueueRoutes(QueueService queues) {
        this.queues = queues;
    }

    Router addTo(Router router) {
        return router
                .add("GET", "/v1/queues", this::list)
                .add("PUT", "/v1/queues/{queue}", this::create)
                .add("GET", "/v1/queues/{queue}", ex -> ex.json(200, queueJson(queues.info(ex.param("queue")))))
                .add("DELETE", "/v1/queues/{queue}", ex -> {
                    queues.deleteQueue(ex.param("queue"));
                    ex.empty(204);
                })
                .add("POST", "/v1/queues/{queue}/messages", this::send)
                .add("POST", "/v1/queues/{queue}/receive", this::receive)
                .add("POST", "/v1/queues/{queue}/delete", this::delete)
                .add("POST", "/v1/queues/{queue}/visibility", this::visibility)
                .add("POST", "/v1/queues/{queue}/purge", ex -> {
                    long purged = queues.purge(ex.param("queue"));
                    ObjectNode out = Exchange.JSON.createObjectNode();
                    out.put("queue", ex.param("queue"));
                    out.put("purged", purged);
                    ex.json(200, out);
                })
                .add("POST", "/v1/queues/{queue}/redrive", ex -> {
                    long moved = queues.redrive(ex.param("queue"));
                    ObjectNode out = Exchange.JSON.createObjectNode();
                    out.put("queue", ex.param("queue"));
                    out.put("moved", moved);
                    ex.json(200, out);
                });
    }

    private void list(Exchange ex) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode list = out.putArray("queues");
        queues.queues().forEach(info -> list.add(queueJson(info)));
        ex.json(200, out);
    }

    /** 201 when made, 200 when it exists with the same options (a retry), 409 with others. */
    private void create(Exchange ex) throws IOException {
        String name = QueueService.requireQueueName(ex.param("queue"));
        JsonNode body = ex.json(true);
        rejectUnknown(body, OPTIONS);
        QueueOptions d = QueueOptions.DEFAULT;
        Duration visibility = present(body, "visibilityTimeout")
                ? SpecJson.duration(body.get("visibilityTimeout"), "visibilityTimeout") : d.visibilityTimeout();
        Duration retention = present(body, "retention") ? SpecJson.duration(body.get("retention"), "retention")
                : d.retention();
        long maxMessageBytes = present(body, "maxMessageBytes")
                ? SpecJson.size(body.get("maxMessageBytes"), "maxMessageBytes") : d.maxMessageBytes();
        Duration delay = present(body, "delay") ? SpecJson.duration(body.get("delay"), "delay") : d.delay();
        long maxReceiveCount = present(body, "maxReceiveCount") ? whole(body.get("maxReceiveCount"), "maxReceiveCount")
                : d.maxReceiveCount();
        Optional<String> deadLetterQueue = Optional.empty();
        if (present(body, "deadLetterQueue")) {
            JsonNode node = body.get("deadLetterQueue");
            if (!node.isTextual()) {
                throw ApiError.invalid("deadLetterQueue", "deadLetterQueue must be a queue name, not " + node);
            }
            deadLetterQueue = Optional.of(node.textValue());
        }
        long maxMessages = present(body, "maxMessages") ? whole(body.get("maxMessages"), "maxMessages")
                : d.maxMessages();
        QueueOptions options = new QueueOptions(visibility, retention, (int) clamp(maxMessageBytes),
                delay, (int) clamp(maxReceiveCount), deadLetterQueue, maxMessages);
        QueueStore.Created created = queues.create(name, options);
        ex.setHeader("Location", "/v1/queues/" + name);
        ex.json(created.created() ? 201 : 200, queueJson(created.queue()));
    }

    /** An int out of range stays out of range (the options' checks then name it), rather than wrapping. */
    private static long clamp(long value) {
        return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
    }

    private void send(Exchange ex) throws IOException {
        // Everything but the body is checked before the body is read.
        String name = QueueService.requireQueueName(ex.param("queue"));
        Optional<Duration> delay = ex.query("delay").filter(value -> !value.isEmpty())
                .map(value -> queryDuration(value, "delay"));
        byte[] body;
        try {
            body = ex.body(QueueOptions.MAX_MESSAGE_BYTES);
        } catch (ApiError e) {
            if (e.status() == 413) {
                throw new ApiError(413, "payload_too_large", "a message body is at most 256 KiB ("
                        + QueueOptions.MAX_MESSAGE_BYTES + " bytes)", Optional.of("body"));
            }
            throw e;
        }
        QueueStore.SendResult.Sent sent = queues.send(name, body, delay);
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("queue", name);
        out.put("id", sent.id());
        out.put("sentAt", sent.sentAt().toString());
        out.put("visibleAt", sent.visibleAt().toString());
        ex.json(201, out);
    }

    private void receive(Exchange ex) throws IOException {
        String name = QueueService.requireQueueName(ex.param("queue"));
        JsonNode body = ex.json(true);
        rejectUnknown(body, RECEIVE);
        int max = 1;
        if (present(body, "maxMessages")) {
            max = (int) clamp(whole(body.get("maxMessages"), "maxMessages"));
        } else if (ex.query("maxMessages").isPresent()) {
            max = (int) clamp(queryWhole(ex.query("maxMessages").get(), "maxMessages"));
        }
        Duration wait = duration(ex, body, "waitTime").orElse(Duration.ZERO);
        Optional<Duration> visibility = duration(ex, body, "visibilityTimeout");
        List<Message> got = queues.receive(name, max, wait, visibility);
        ObjectNode out = Exchange.JSON.createObjectNode();
        ArrayNode messages = out.putArray("messages");
        for (Message message : got) {
            ObjectNode m = messages.addObject();
            m.put("id", message.id());
            m.put("bodyBase64", Base64.getEncoder().encodeToString(message.body()));
            text(message.body()).ifPresent(text -> m.put("body", text));
            m.put("receiptHandle", message.receiptHandle());
            m.put("receiveCount", message.receiveCount());
            m.put("sentAt", message.sentAt().toString());
            m.put("firstReceivedAt", message.firstReceivedAt().toString());
            m.put("invisibleUntil", message.invisibleUntil().toString());
            message.deadLetterSource().ifPresent(source -> m.put("deadLetterSource", source));
        }
        ex.json(200, out);
    }

    private void delete(Exchange ex) throws IOException {
        String name = QueueService.requireQueueName(ex.param("queue"));
        JsonNode body = ex.json(false);
        rejectUnknown(body, HANDLE);
        queues.delete(name, receiptHandle(body));
        ex.empty(204);
    }

    private void visibility(Exchange ex) throws IOException {
        String name = QueueService.requireQueueName(ex.param("queue"));
        JsonNode body = ex.json(false);
        rejectUnknown(body, VISIBILITY);
        String handle = receiptHandle(body);
        if (!present(body, "visibilityTimeout")) {
            throw ApiError.invalid("visibilityTimeout", "visibilityTimeout is required (0s makes the message visible"
                    + " at once)");
        }
        queues.changeVisibility(name, handle, SpecJson.duration(body.get("visibilityTimeout"), "visibilityTimeout"));
        ex.empty(204);
    }

    private static String receiptHandle(JsonNode body) {
        JsonNode node = body.get("receiptHandle");
        if (node == null || !node.isTextual() || node.textValue().isEmpty()) {
            throw ApiError.invalid("receiptHandle", "receiptHandle is required: the receiptHandle of a received"
                    + " message, as it is");
        }
        return node.textValue();
    }

    /** A duration from the JSON body (milliseconds or a string) or else the query (a string; a plain number is seconds). */
    private static Optional<Duration> duration(Exchange ex, JsonNode body, String field) {
        if (present(body, field)) {
            return Optional.of(SpecJson.duration(body.get(field), field));
        }
        return ex.query(field).filter(value -> !value.isEmpty()).map(value -> queryDuration(value, field));
    }

    private static Duration queryDuration(String value, String field) {
        try {
            return Units.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(field, field + ": " + e.getMessage());
        }
    }

    private static long queryWhole(String value, String field) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw ApiError.invalid(field, field + " must be a whole number, not '" + value + "'");
        }
    }

    private static long whole(JsonNode node, String field) {
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw ApiError.invalid(field, field + " must be a whole number, not " + node);
        }
        return node.longValue();
    }

    private static void rejectUnknown(JsonNode body, Set<String> known) {
        for (var fields = body.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!known.contains(field)) {
                throw ApiError.invalid(field, "unknown field '" + field + "' (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static boolean present(JsonNode body, String field) {
        return body.has(field) && !body.get(field).isNull();
    }

    /** The body as text when it is valid UTF-8. */
    static Optional<String> text(byte[] body) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    static ObjectNode queueJson(QueueInfo info) {
        ObjectNode out = Exchange.JSON.createObjectNode();
        out.put("name", info.name());
        QueueOptions options = info.options();
        out.put("visibilityTimeout", options.visibilityTimeout().toMillis());
        out.put("retention", options.retention().toMillis());
        out.put("maxMessageBytes", options.maxMessageBytes());
        out.put("delay", options.delay().toMillis());
        if (options.deadLetterQueue().isPresent()) {
            out.put("maxReceiveCount", options.maxReceiveCount());
            out.put("deadLetterQueue", options.deadLetterQueue().get());
        }
        out.put("maxMessages", options.maxMessages());
        out.put("visible", info.visible());
        out.put("inFlight", info.inFlight());
        out.put("delayed", info.delayed());
        if (info.oldestAge().isPresent()) {
            out.put("oldestMessageAge", info.oldestAge().get().toMillis());
        } else {
            out.putNull("oldestMessageAge");
        }
        out.put("createdAt", info.createdAt().toString());
        return out;
    }
}
