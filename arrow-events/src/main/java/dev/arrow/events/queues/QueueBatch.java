package dev.arrow.events.queues;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.services.queues.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A batch as the arrow sees it (SQS's Lambda event: {@code {"Records": [...]}}), and what its
 * answer says failed. Bodies are given as UTF-8 text, as SQS bodies are.
 */
final class QueueBatch {

    static final String EVENT_SOURCE = "arrow:queue";
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueueBatch() {
    }

    static String sourceArn(String queue) {
        return EVENT_SOURCE + ":" + queue;
    }

    /** The event for {@code messages} of {@code queue}. */
    static byte[] event(String queue, List<Message> messages) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode records = root.putArray("Records");
        for (Message message : messages) {
            ObjectNode record = records.addObject();
            record.put("messageId", message.id());
            record.put("receiptHandle", message.receiptHandle());
            record.put("body", new String(message.body(), StandardCharsets.UTF_8));
            ObjectNode attributes = record.putObject("attributes");
            attributes.put("ApproximateReceiveCount", Integer.toString(message.receiveCount()));
            attributes.put("SentTimestamp", Long.toString(message.sentAt().toEpochMilli()));
            attributes.put("ApproximateFirstReceiveTimestamp", Long.toString(message.firstReceivedAt().toEpochMilli()));
            message.deadLetterSource().ifPresent(source -> attributes.put("DeadLetterQueueSourceArn", sourceArn(source)));
            record.putObject("messageAttributes");
            record.put("md5OfBody", md5(message.body()));
            record.put("eventSource", EVENT_SOURCE);
            record.put("eventSourceARN", sourceArn(queue));
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The ids of {@code ids} that an answer reports failed: none when it is not a JSON object with
     * {@code batchItemFailures} (a plain success); all when that list is malformed or names a
     * message not in the batch (Lambda's rule: a report that cannot be trusted fails the batch).
     */
    static Set<String> failures(byte[] answer, Set<String> ids) {
        Optional<JsonNode> parsed = parse(answer);
        if (parsed.isEmpty() || !parsed.get().isObject() || !parsed.get().has("batchItemFailures")) {
            return Set.of();
        }
        JsonNode list = parsed.get().get("batchItemFailures");
        if (list.isNull()) {
            return Set.of();
        }
        if (!list.isArray()) {
            return ids;
        }
        var failed = new LinkedHashSet<String>();
        for (JsonNode item : list) {
            JsonNode id = item.get("itemIdentifier");
            if (id == null || !id.isTextual() || !ids.contains(id.textValue())) {
                return ids;
            }
            failed.add(id.textValue());
        }
        return failed;
    }

    private static Optional<JsonNode> parse(byte[] answer) {
        if (answer == null || answer.length == 0) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readTree(answer));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String md5(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
