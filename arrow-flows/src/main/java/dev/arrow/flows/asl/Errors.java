package dev.arrow.flows.asl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.definition.DefinitionException;
import dev.arrow.flows.definition.ErrorFilter;
import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.definition.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Error names, retriers and catchers. {@code States.ALL} is any error; {@code States.Timeout} is
 * the spec's timeout; {@code States.Runtime} (and the path and intrinsic failures) the spec's
 * expression error, as a JSONPath that fails is a jq expression that fails here;
 * {@code States.TaskFailed} is, as AWS documents it, a wildcard for every error but a timeout (so
 * it also takes the spec's communication and runtime errors, a Fail's custom Error and an arrow's
 * own problem type); any other name is an error type itself, matched by its full URI or its last segment.
 */
final class Errors {

    /** Step Functions' names for a path or an intrinsic that failed on its data: in Arrow, a jq expression that failed. */
    private static final Set<String> EXPRESSION_NAMES = Set.of("States.Runtime", "States.ResultPathMatchFailure",
            "States.ParameterPathFailure", "States.IntrinsicFailure");

    /** The variable a catch binds the error to, in its conditions and its body. */
    static final String AS = "error";

    private Errors() {
    }

    /**
     * What an {@code ErrorEquals} takes: the filter, a condition excluding errors the filter
     * alone would let through, and a jq condition on {@code $error} that holds for exactly the
     * errors it takes (so a later retrier can leave them to an earlier one).
     */
    record Matcher(ErrorFilter filter, Optional<String> exceptWhen, String matches) {
    }

    static Matcher matcher(JsonNode errorEquals, String where) throws DefinitionException {
        if (errorEquals == null || !errorEquals.isArray() || errorEquals.isEmpty()) {
            throw new DefinitionException(where, "ErrorEquals is a non-empty array of error names");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode name : errorEquals) {
            if (!name.isTextual() || name.textValue().isEmpty()) {
                throw new DefinitionException(where, "ErrorEquals holds error names, as strings");
            }
            names.add(name.textValue());
        }
        if (names.contains("States.ALL")) {
            if (names.size() > 1) {
                throw new DefinitionException(where, "States.ALL must be the only name in its ErrorEquals");
            }
            return new Matcher(ErrorFilter.any(), Optional.empty(), "true");
        }
        boolean taskFailed = names.contains("States.TaskFailed");
        boolean timeout = names.contains("States.Timeout");
        String timedOut = "($" + AS + ".type == " + JsonPaths.string(FlowError.TIMEOUT) + ")";
        if (taskFailed && timeout) {
            return new Matcher(ErrorFilter.any(), Optional.empty(), "true");
        }
        if (taskFailed) {
            return new Matcher(ErrorFilter.any(), Optional.of(timedOut), "(" + timedOut + " | not)");
        }
        List<String> types = new ArrayList<>();
        List<String> tests = new ArrayList<>();
        for (String name : names) {
            if (name.equals("States.Timeout")) {
                types.add(FlowError.TIMEOUT);
                tests.add("$t == " + JsonPaths.string(FlowError.TIMEOUT));
            }
            if (EXPRESSION_NAMES.contains(name)) {
                types.add(FlowError.EXPRESSION);
                tests.add("$t == " + JsonPaths.string(FlowError.EXPRESSION));
            }
            types.add(name);
            tests.add("$t == " + JsonPaths.string(name) + " or $s == " + JsonPaths.string(name));
        }
        String matches = "($" + AS + ".type as $t | ($t | split(\"/\") | .[length - 1]) as $s | "
                + String.join(" or ", tests) + ")";
        ErrorFilter filter = new ErrorFilter(types, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        return new Matcher(filter, Optional.empty(), matches);
    }

    /** A retrier's policy: MaxAttempts counts retries, the policy's attempts count the first one too. */
    static RetryPolicy policy(JsonNode retrier, String where) throws DefinitionException {
        long interval = whole(retrier, "IntervalSeconds", 1, 1, where);
        long retries = whole(retrier, "MaxAttempts", 3, 0, where);
        double rate = 2.0;
        JsonNode backoff = retrier.get("BackoffRate");
        if (backoff != null) {
            if (!backoff.isNumber() || backoff.doubleValue() < 1.0) {
                throw new DefinitionException(where + "/BackoffRate", "BackoffRate is a number of at least 1.0");
            }
            rate = backoff.doubleValue();
        }
        Optional<Duration> maxDelay = Optional.empty();
        if (retrier.has("MaxDelaySeconds")) {
            maxDelay = Optional.of(Duration.ofSeconds(whole(retrier, "MaxDelaySeconds", 0, 1, where)));
        }
        Duration jitter = Duration.ZERO;
        JsonNode strategy = retrier.get("JitterStrategy");
        if (strategy != null) {
            if (!strategy.isTextual() || !(strategy.textValue().equals("FULL") || strategy.textValue().equals("NONE"))) {
                throw new DefinitionException(where + "/JitterStrategy", "JitterStrategy is FULL or NONE");
            }
            // Arrow adds a jitter to the delay where Step Functions draws the delay in [0, delay]:
            // up to the interval keeps retries of many runs apart as FULL means to.
            if (strategy.textValue().equals("FULL")) {
                jitter = Duration.ofSeconds(interval);
            }
        }
        return new RetryPolicy(Duration.ofSeconds(interval), new RetryPolicy.Backoff.Exponential(rate), maxDelay,
                Duration.ZERO, jitter, Optional.of((int) retries + 1), Optional.empty());
    }

    /**
     * The States Language's error object, {@code {Error, Cause}}, from the spec's error in
     * {@code $error}: a timeout is {@code States.Timeout}, a failed expression {@code States.Runtime},
     * the spec's other errors (an arrow's failure) {@code States.TaskFailed}, and any other type
     * its last segment, so a Fail's Error comes back as it was written.
     */
    static String errorObject() {
        String e = "$" + AS;
        return "{\"Error\": (" + e + ".type as $t | if $t == " + JsonPaths.string(FlowError.TIMEOUT)
                + " then \"States.Timeout\" elif $t == " + JsonPaths.string(FlowError.EXPRESSION)
                + " then \"States.Runtime\" elif ($t | startswith(" + JsonPaths.string(FlowError.SPEC)
                + ")) then \"States.TaskFailed\" else ($t | split(\"/\") | .[length - 1]) end), \"Cause\": ("
                + e + ".detail // " + e + ".title)}";
    }

    static long whole(JsonNode node, String field, long fallback, long min, String where) throws DefinitionException {
        JsonNode value = node.get(field);
        if (value == null) {
            return fallback;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber() || value.longValue() < min
                || value.longValue() > 99_999_999) {
            throw new DefinitionException(where + "/" + field, field + " is a whole number of at least " + min);
        }
        return value.longValue();
    }
}
