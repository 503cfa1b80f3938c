package dev.arrow.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads {@code arrow.yaml}: one arrow as a mapping, several as a YAML multi-document stream
 * ({@code ---} between them) or as a list under a top-level {@code arrows:}. An arrow's fields are
 * the API's ({@code name, mode, command, env, bundle, limits, network, scaling, runtime, handler,
 * http, bindings, triggers, isolation}), values passed to
 * the node as written, plus {@code code}: a directory, .tar.gz or .zip relative to the manifest's
 * directory. {@code command} is a list, or a string split on whitespace (no quoting).
 */
final class Manifest {

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final ObjectMapper JSON = new ObjectMapper()
            .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

    private Manifest() {
    }

    /**
     * One arrow to deploy.
     *
     * @param source where it was written, for messages: "arrow.yaml" or "arrow.yaml, document 2"
     * @param spec   the request body of {@code POST /v1/arrows}, without the bundle
     * @param code   what to upload as its bundle, if anything
     */
    record Deployable(String source, ObjectNode spec, Optional<Path> code) {
        String name() {
            return spec.path("name").asText();
        }
    }

    // Public fields in API order: Jackson binds them; unknown fields fail with their location.

    /** An arrow as a manifest writes it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Entry {
        public String name;
        public String mode;
        public JsonNode command;
        public Map<String, String> env;
        public String bundle;
        public Limits limits;
        public String network;
        public Scaling scaling;
        public String runtime;
        public String handler;
        public Http http;
        public Bindings bindings;
        /** A list of triggers, passed on as written: the node checks them. */
        public JsonNode triggers;
        public String isolation;
        public String code;
    }

    /** Names the node checks; a list is passed on as written. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Bindings {
        public JsonNode kv;
        public JsonNode queues;
        public JsonNode buckets;
        public JsonNode events;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Http {
        public JsonNode port;
        public JsonNode readinessPath;
        public JsonNode startTimeout;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Limits {
        public JsonNode memory;
        public JsonNode cpus;
        public JsonNode pids;
        public JsonNode timeout;
        public JsonNode tmpfs;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Scaling {
        public JsonNode concurrency;
        public JsonNode minInstances;
        public JsonNode maxInstances;
        public JsonNode keepAlive;
    }

    /** A YAML document: one arrow, or {@code arrows:} with a list of them. */
    public static final class Document extends Entry {
        public List<Entry> arrows;
    }

    static List<Deployable> read(Path file) throws CliException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw CliException.usage("manifest " + file + " does not exist");
        } catch (IOException e) {
            throw CliException.usage("cannot read manifest " + file + ": " + e.getMessage());
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, file.toString(), dir);
    }

    /**
     * @param fileName for messages
     * @param dir      what relative {@code code} paths are relative to
     */
    static List<Deployable> parse(String yaml, String fileName, Path dir) throws CliException {
        List<Document> documents = new ArrayList<>();
        // Document by document: an empty one (a stray ---) is skipped, anything but a mapping refused.
        try (JsonParser parser = YAML.createParser(yaml)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token == JsonToken.VALUE_NULL) {
                    continue;
                }
                if (token != JsonToken.START_OBJECT) {
                    JsonLocation location = parser.currentTokenLocation();
                    throw CliException.usage(fileName + " line " + location.getLineNr()
                            + ": a document must be a mapping: one arrow, or arrows: and a list of them");
                }
                documents.add(YAML.readerFor(Document.class).readValue(parser));
            }
        } catch (JacksonException e) {
            throw CliException.usage(describe(e, fileName));
        } catch (IOException e) {
            throw CliException.usage("cannot read manifest " + fileName + ": " + e.getMessage());
        }
        documents.removeIf(document -> document == null);
        if (documents.isEmpty()) {
            throw CliException.usage(fileName + ": no arrow in the manifest");
        }
        var deployables = new ArrayList<Deployable>();
        for (int index = 0; index < documents.size(); index++) {
            Document document = documents.get(index);
            String source = documents.size() == 1 ? fileName : fileName + ", document " + (index + 1);
            if (document.arrows != null) {
                if (!JSON.valueToTree(asEntry(document)).isEmpty()) {
                    throw CliException.usage(source + ": a document lists arrows: or is one arrow, not both");
                }
                if (document.arrows.isEmpty()) {
                    throw CliException.usage(source + ": arrows: is empty");
                }
                for (int item = 0; item < document.arrows.size(); item++) {
                    Entry entry = document.arrows.get(item);
                    if (entry == null) {
                        throw CliException.usage(source + ": arrows[" + item + "] is empty");
                    }
                    deployables.add(deployable(entry, source + ", arrows[" + item + "]", dir));
                }
            } else {
                deployables.add(deployable(document, source, dir));
            }
        }
        Set<String> names = new HashSet<>();
        for (Deployable deployable : deployables) {
            if (!names.add(deployable.name())) {
                throw CliException.usage(fileName + ": arrow '" + deployable.name() + "' is defined twice");
            }
        }
        return deployables;
    }

    private static Entry asEntry(Document document) {
        Entry entry = new Entry();
        entry.name = document.name;
        entry.mode = document.mode;
        entry.command = document.command;
        entry.env = document.env;
        entry.bundle = document.bundle;
        entry.limits = document.limits;
        entry.network = document.network;
        entry.scaling = document.scaling;
        entry.runtime = document.runtime;
        entry.handler = document.handler;
        entry.http = document.http;
        entry.bindings = document.bindings;
        entry.triggers = document.triggers;
        entry.isolation = document.isolation;
        entry.code = document.code;
        return entry;
    }

    private static Deployable deployable(Entry entry, String source, Path dir) throws CliException {
        if (entry.name == null || entry.name.isBlank()) {
            throw CliException.usage(source + ": an arrow needs a name");
        }
        String where = source + ": " + entry.name;
        ObjectNode spec = JSON.valueToTree(entry);
        spec.remove("code");
        if (entry.runtime == null || entry.command != null) {
            spec.set("command", command(entry.command, where));
        }
        Optional<Path> code = Optional.empty();
        if (entry.code != null) {
            if (entry.bundle != null) {
                throw CliException.usage(where + ": give code or bundle, not both");
            }
            Path path = dir.resolve(entry.code).normalize();
            if (!Files.exists(path)) {
                throw CliException.usage(where + ": code " + entry.code + " (" + path + ") does not exist");
            }
            code = Optional.of(path);
        }
        return new Deployable(source, spec, code);
    }

    /** A list of strings as is; a string split on whitespace. */
    private static ArrayNode command(JsonNode command, String where) throws CliException {
        ArrayNode argv = JSON.createArrayNode();
        if (command == null || command.isNull()) {
            throw CliException.usage(where + ": command is required");
        }
        if (command.isTextual()) {
            for (String word : command.asText().strip().split("\\s+")) {
                if (!word.isEmpty()) {
                    argv.add(word);
                }
            }
        } else if (command.isArray()) {
            for (JsonNode arg : command) {
                if (!arg.isValueNode() || arg.isNull()) {
                    throw CliException.usage(where + ": command must be a list of strings");
                }
                argv.add(arg.asText());
            }
        } else {
            throw CliException.usage(where + ": command must be a list of strings or one string");
        }
        if (argv.isEmpty()) {
            throw CliException.usage(where + ": command is empty");
        }
        return argv;
    }

    /** Jackson's complaint as "file line N: what", without class names or reference chains. */
    static String describe(JacksonException e, String fileName) {
        JsonLocation location = e.getLocation();
        String at = fileName + (location != null && location.getLineNr() > 0 ? " line " + location.getLineNr() : "");
        if (e instanceof UnrecognizedPropertyException unknown) {
            String path = path(unknown.getPath().subList(0, unknown.getPath().size() - 1));
            return at + ": unknown field '" + unknown.getPropertyName() + "'"
                    + (path.isEmpty() ? "" : " in " + path)
                    + " (known: " + known(unknown.getKnownPropertyIds()) + ")";
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            String path = path(mismatch.getPath());
            return at + ": " + (path.isEmpty() ? "a document" : path) + " must be " + expected(mismatch.getTargetType());
        }
        if (e instanceof JsonMappingException mapping) {
            String path = path(mapping.getPath());
            return at + ": " + (path.isEmpty() ? "" : path + ": ") + firstLine(e.getOriginalMessage());
        }
        return at + ": invalid YAML: " + firstLine(e.getOriginalMessage());
    }

    private static String path(List<JsonMappingException.Reference> references) {
        var path = new StringBuilder();
        for (JsonMappingException.Reference reference : references) {
            if (reference.getFieldName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String known(Collection<Object> ids) {
        return ids.stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
    }

    private static String expected(Class<?> type) {
        if (Map.class.isAssignableFrom(type) || Entry.class.isAssignableFrom(type) || type == Limits.class
                || type == Scaling.class || type == Bindings.class) {
            return "a mapping";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (type == String.class) {
            return "a string";
        }
        return "a " + type.getSimpleName();
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.strip().lines().findFirst().orElse("");
    }
}
