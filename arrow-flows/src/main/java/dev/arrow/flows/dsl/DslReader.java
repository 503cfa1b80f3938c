package dev.arrow.flows.dsl;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowDefinition;
import io.serverlessworkflow.api.WorkflowFormat;
import io.serverlessworkflow.api.WorkflowReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/** Reads a Serverless Workflow DSL 1.0 document (YAML or JSON) into Arrow's model. */
public final class DslReader {

    /** The largest definition read: the whole document is held, validated and stored. */
    private static final int MAX_BYTES = 256 * 1024;

    private static final int MAX_SCHEMA_ERRORS = 3;
    /** The validator's lines about the task kinds a task is not. */
    private static final Pattern ALTERNATIVES = Pattern.compile("one and only one schema|must be the constant value"
            + "|property '(call|with|do|fork|emit|for|listen|raise|run|set|switch|try|catch|wait)'"
            + " (not found|is not evaluated)");

    /**
     * The SDK's Hibernate Validator warns on stderr, at its first use, about annotations of the
     * SDK's own generated types: nothing a user can act on. Held here, as JUL keeps only weak references.
     */
    private static final java.util.logging.Logger VALIDATOR_LOG = quiet("org.hibernate.validator");

    private DslReader() {
    }

    private static java.util.logging.Logger quiet(String name) {
        var logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }

    /** The flow {@code source} defines; anything invalid, or outside Arrow's subset, is refused with its path. */
    public static FlowDefinition read(String source) throws DefinitionException {
        int size = source.getBytes(StandardCharsets.UTF_8).length;
        if (size > MAX_BYTES) {
            throw new DefinitionException("/", "a definition is at most " + MAX_BYTES / 1024 + " KiB; this one has "
                    + size + " bytes");
        }
        WorkflowFormat format = source.stripLeading().startsWith("{") ? WorkflowFormat.JSON : WorkflowFormat.YAML;
        JsonNode root;
        try {
            root = format.mapper().readTree(source);
        } catch (JacksonException e) {
            String line = e.getLocation() == null || e.getLocation().getLineNr() < 1 ? ""
                    : " (line " + e.getLocation().getLineNr() + ")";
            throw new DefinitionException("/", "not valid " + format + line + ": " + firstLine(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new DefinitionException("/", "a definition is a " + format + " object with document and do");
        }
        try {
            // The SDK validates against the specification's schema, then binds its types.
            WorkflowReader.validation().read(source, format);
        } catch (IllegalArgumentException e) {
            throw refusalOr(root, schemaError(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            throw refusalOr(root, new DefinitionException("/", "not a valid Serverless Workflow document: "
                    + firstLine(e.getMessage())));
        }
        return WorkflowMapper.map(root);
    }

    /**
     * A document that fails the schema may still be one the mapper refuses for a feature outside
     * Arrow's subset ({@code run}, {@code call: http} with a typo): that refusal, naming the
     * feature, says more than the validator's list of alternatives.
     */
    private static DefinitionException refusalOr(JsonNode root, DefinitionException schemaError) {
        try {
            WorkflowMapper.map(root);
        } catch (DefinitionException e) {
            if (Refusals.isRefusal(e)) {
                return e;
            }
        } catch (RuntimeException e) {
            // The mapper assumes a valid document; on this one the schema's own message stands.
        }
        return schemaError;
    }

    /**
     * The validator's fault, with its path. A task that fits none of the task kinds is reported
     * once per kind it is not ({@code required property 'fork' not found}, ...); those lines are
     * dropped so that what is wrong with the task as written comes first.
     */
    private static DefinitionException schemaError(String report) {
        List<String> lines = report == null ? List.of() : report.lines().distinct().toList();
        List<String> kept = lines.stream().filter(line -> !ALTERNATIVES.matcher(line).find()).toList();
        if (kept.isEmpty()) {
            kept = lines;
        }
        if (kept.isEmpty()) {
            return new DefinitionException("/", "does not match the Serverless Workflow 1.0 schema");
        }
        String first = kept.getFirst();
        int colon = first.indexOf(": ");
        String path = colon > 0 && first.startsWith("/") ? first.substring(0, colon) : "/";
        String detail = String.join("; ", kept.stream().limit(MAX_SCHEMA_ERRORS)
                .map(line -> line.startsWith(path + ": ") ? line.substring(path.length() + 2) : line).toList());
        if (kept.size() > MAX_SCHEMA_ERRORS) {
            detail += "; ...";
        }
        return new DefinitionException(path, "does not match the Serverless Workflow 1.0 schema: " + detail);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
