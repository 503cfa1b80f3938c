package dev.arrow.events.ingress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.InvalidInputException;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventRWException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads the CloudEvents of one HTTP request with the CloudEvents Java SDK, after checking what the
 * SDK would refuse with a message of its own: each required attribute (specversion, id, source,
 * type) present and of its type, specversion 1.0, extension names as the spec allows, a body that
 * claims to be JSON being JSON. Every refusal names the attribute, prefixed by the event's index in
 * a batch ({@code [3].source}); one bad event refuses the whole batch, so nothing is half-accepted.
 */
public final class CloudEventsIngress {

    public static final String STRUCTURED = "application/cloudevents+json";
    public static final String BATCH = "application/cloudevents-batch+json";
    public static final int MAX_BATCH = 100;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat FORMAT = new JsonFormat();
    private static final Pattern EXTENSION = Pattern.compile("[a-z0-9]{1,20}");
    private static final List<String> REQUIRED = List.of("specversion", "id", "source", "type");
    private static final List<String> CONTEXT = List.of("specversion", "id", "source", "type", "datacontenttype",
            "dataschema", "subject", "time");

    private CloudEventsIngress() {
    }

    /**
     * The events of a request: its headers (any case) and body.
     *
     * @throws InvalidInputException naming the attribute at fault
     */
    public static List<CloudEvent> read(Map<String, String> headers, byte[] body) {
        var byName = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
        byName.putAll(headers);
        String type = Optional.ofNullable(byName.get("Content-Type")).map(t -> t.split(";")[0].strip().toLowerCase(Locale.ROOT))
                .orElse("");
        if (type.equals(BATCH)) {
            return batch(body);
        }
        if (type.equals(STRUCTURED)) {
            return List.of(structured(json(body, "body"), ""));
        }
        return List.of(binary(byName, body, type));
    }

    private static List<CloudEvent> batch(byte[] body) {
        JsonNode array = json(body, "body");
        if (!array.isArray()) {
            throw new InvalidInputException("body", "a batch (" + BATCH + ") must be a JSON array of events");
        }
        if (array.isEmpty() || array.size() > MAX_BATCH) {
            throw new InvalidInputException("body", "a batch holds 1 to " + MAX_BATCH + " events, not " + array.size());
        }
        var events = new ArrayList<CloudEvent>();
        for (int i = 0; i < array.size(); i++) {
            events.add(structured(array.get(i), "[" + i + "]."));
        }
        return events;
    }

    private static CloudEvent structured(JsonNode event, String at) {
        if (!event.isObject()) {
            throw new InvalidInputException(at.isEmpty() ? "body" : at.substring(0, at.length() - 1),
                    (at.isEmpty() ? "the event" : "event " + at.substring(0, at.length() - 1)) + " must be a JSON object");
        }
        for (String name : REQUIRED) {
            JsonNode value = event.get(name);
            if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
                throw new InvalidInputException(at + name, at + name + " is required: a CloudEvent has a non-empty string "
                        + name);
            }
        }
        specVersion(event.get("specversion").textValue(), at + "specversion");
        for (var entry : event.properties()) {
            String name = entry.getKey();
            if (name.equals("data") || name.equals("data_base64") || CONTEXT.contains(name)) {
                continue;
            }
            extensionName(name, at + name);
            if (!entry.getValue().isValueNode() || entry.getValue().isNull()) {
                throw new InvalidInputException(at + name, at + name + ": an extension's value is a string, number or boolean");
            }
        }
        if (event.has("time")) {
            time(event.get("time").asText(""), at + "time");
        }
        if (event.has("data") && event.has("data_base64")) {
            throw new InvalidInputException(at + "data_base64", at + "data and data_base64 are exclusive");
        }
        if (event.has("data_base64")) {
            try {
                Base64.getDecoder().decode(event.get("data_base64").asText(""));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(at + "data_base64", at + "data_base64 is not base64: " + e.getMessage());
            }
        }
        try {
            return FORMAT.deserialize(JSON.writeValueAsBytes(event));
        } catch (JsonProcessingException | EventDeserializationException | CloudEventRWException e) {
            throw new InvalidInputException(at.isEmpty() ? "body" : at.substring(0, at.length() - 1),
                    "not a CloudEvent: " + e.getMessage());
        }
    }

    private static CloudEvent binary(Map<String, String> headers, byte[] body, String contentType) {
        for (String name : REQUIRED) {
            String value = headers.get("ce-" + name);
            if (value == null || value.isEmpty()) {
                throw new InvalidInputException("ce-" + name, "ce-" + name + " is required: a CloudEvent in binary mode has"
                        + " its " + name + " in the header ce-" + name + " (or send it structured, Content-Type: " + STRUCTURED + ")");
            }
        }
        specVersion(headers.get("ce-specversion"), "ce-specversion");
        var plain = new LinkedHashMap<String, String>();
        headers.forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("ce-")) {
                String attribute = lower.substring(3);
                if (!CONTEXT.contains(attribute)) {
                    extensionName(attribute, name);
                }
            }
            plain.put(lower, value);
        });
        if (headers.containsKey("ce-time")) {
            time(headers.get("ce-time"), "ce-time");
        }
        if (isJson(contentType) && body.length > 0) {
            json(body, "data");
        }
        try {
            return HttpMessageFactory.createReader(plain, body).toEvent();
        } catch (CloudEventRWException e) {
            throw new InvalidInputException("ce-specversion", "not a CloudEvent: " + e.getMessage());
        }
    }

    /** The event's attributes as filters see them: context attributes and extensions, as strings. */
    public static Map<String, String> attributes(CloudEvent event) {
        var attributes = new LinkedHashMap<String, String>();
        for (String name : event.getAttributeNames()) {
            Object value = event.getAttribute(name);
            if (value != null) {
                attributes.put(name, value.toString());
            }
        }
        for (String name : event.getExtensionNames()) {
            Object value = event.getExtension(name);
            if (value != null) {
                attributes.put(name, value.toString());
            }
        }
        return attributes;
    }

    static boolean isJson(String contentType) {
        return contentType.equals("application/json") || contentType.equals("text/json") || contentType.endsWith("+json");
    }

    private static void specVersion(String version, String field) {
        if (!"1.0".equals(version)) {
            throw new InvalidInputException(field, field + " must be 1.0, the CloudEvents version this node speaks, not '"
                    + version + "'");
        }
    }

    private static void extensionName(String name, String field) {
        if (!EXTENSION.matcher(name).matches()) {
            throw new InvalidInputException(field, field + ": '" + name
                    + "' is not an attribute name (1 to 20 lower-case letters and digits)");
        }
    }

    private static void time(String text, String field) {
        try {
            OffsetDateTime.parse(text);
        } catch (DateTimeParseException e) {
            throw new InvalidInputException(field, field + " must be an RFC 3339 timestamp like 2026-01-31T12:00:00Z, not '"
                    + text + "'");
        }
    }

    private static JsonNode json(byte[] body, String field) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw new InvalidInputException(field, field + " is empty; JSON was expected");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(field, field + " is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new InvalidInputException(field, field + " is not valid JSON: " + e.getMessage());
        }
    }
}
