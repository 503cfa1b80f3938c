package dev.arrow.flows.dsl;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.FlowDefinition;
import io.serverlessworkflow.api.WorkflowFormat;
import io.serverlessworkflow.api.WorkflowReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/** Reads a Serverless Workflow DSL 1.0 document (YAML or JSON) into Arrow's model. */
public final class DslReader {

    /** The largest definition read: the whole document is held, validated and stored. */
    private static final int MAX_BYTES = 256 * 1024;

    private static final int MAX_SCHEMA_ERRORS = 3;

    private DslReader() {
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
            throw new DefinitionException("/", "not valid " + format + ": " + firstLine(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new DefinitionException("/", "a definition is a " + format + " object with document and do");
        }
        try {
            // The SDK validates against the specification's schema, then binds its types.
            WorkflowReader.validation().read(source, format);
        } catch (IllegalArgumentException e) {
            throw schemaError(e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new DefinitionException("/", "not a valid Serverless Workflow document: " + firstLine(e.getMessage()));
        }
        return WorkflowMapper.map(root);
    }

    /**
     * The validator's first fault, with its path; a task that fits none of the task kinds gets one
     * line per alternative, so only the first few distinct ones are kept.
     */
    private static DefinitionException schemaError(String report) {
        String[] lines = report == null ? new String[0] : report.split("\n");
        Set<String> distinct = new LinkedHashSet<>(Arrays.asList(lines));
        String first = lines.length == 0 ? "/: invalid" : lines[0];
        int colon = first.indexOf(": ");
        String path = colon > 0 && first.startsWith("/") ? first.substring(0, colon) : "/";
        String detail = String.join("; ", distinct.stream().limit(MAX_SCHEMA_ERRORS)
                .map(line -> line.startsWith(path + ": ") ? line.substring(path.length() + 2) : line).toList());
        if (distinct.size() > MAX_SCHEMA_ERRORS) {
            detail += "; ...";
        }
        return new DefinitionException(path.isEmpty() ? "/" : path, "does not match the Serverless Workflow 1.0 schema: "
                + detail);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
