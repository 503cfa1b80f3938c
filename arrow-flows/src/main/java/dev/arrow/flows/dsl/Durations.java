package dev.arrow.flows.dsl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.expressions.Expressions;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Set;

/** The DSL's durations: an ISO 8601 string ({@code PT5S}) or an inline object ({@code {seconds: 5}}). */
final class Durations {

    private static final Set<String> INLINE = Set.of("days", "hours", "minutes", "seconds", "milliseconds");

    private Durations() {
    }

    static Duration read(JsonNode node, String path) throws DefinitionException {
        if (node.isTextual()) {
            String text = node.textValue();
            if (Expressions.isExpression(text)) {
                throw Refusals.unsupported(path, "a duration given by an expression");
            }
            try {
                // Duration.parse reads days and times; weeks, months and years have no fixed length.
                return Duration.parse(text.strip());
            } catch (DateTimeParseException e) {
                throw new DefinitionException(path, "'" + text + "' is not an ISO 8601 duration Arrow reads"
                        + " (days and times, e.g. PT30S, P1DT2H)");
            }
        }
        if (node.isObject()) {
            Duration total = Duration.ZERO;
            for (var member : node.properties()) {
                String unit = member.getKey();
                JsonNode amount = member.getValue();
                if (!INLINE.contains(unit)) {
                    throw new DefinitionException(path, "'" + unit + "' is not a duration unit (days, hours, minutes, seconds, milliseconds)");
                }
                if (!amount.canConvertToLong() || amount.asLong() < 0) {
                    throw new DefinitionException(path + "/" + unit, unit + " must be a whole number >= 0");
                }
                long value = amount.asLong();
                total = total.plus(switch (unit) {
                    case "days" -> Duration.ofDays(value);
                    case "hours" -> Duration.ofHours(value);
                    case "minutes" -> Duration.ofMinutes(value);
                    case "seconds" -> Duration.ofSeconds(value);
                    default -> Duration.ofMillis(value);
                });
            }
            return total;
        }
        throw new DefinitionException(path, "a duration is an ISO 8601 string or an object of days, hours, minutes, seconds, milliseconds");
    }
}
