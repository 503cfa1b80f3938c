package dev.arrow.sandbox.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxResult;
import java.io.IOException;
import java.io.Serial;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * Reads the helper's result line, e.g.
 * {@code {"outcome":"exited","exitCode":0,"signal":0,"wallNanos":1,"cpuUserNanos":1,"cpuSystemNanos":1,"peakMemoryBytes":1,"reason":"","detail":""}}.
 * Fields it does not know are skipped, so the helper may add some without breaking older JVM code.
 */
final class ResultParser {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private ResultParser() {
    }

    static SandboxResult parse(String line) throws MalformedResultException {
        var fields = new Fields();
        try (JsonParser json = JSON.createParser(line)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedResultException("not a JSON object: " + line);
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String name = json.currentName();
                json.nextToken();
                switch (name) {
                    case "outcome" -> fields.outcome = json.getValueAsString();
                    case "exitCode" -> fields.exitCode = json.getIntValue();
                    case "signal" -> fields.signal = json.getIntValue();
                    case "wallNanos" -> fields.wallNanos = json.getLongValue();
                    case "setupNanos" -> fields.setupNanos = json.getLongValue();
                    case "cpuUserNanos" -> fields.cpuUserNanos = json.getLongValue();
                    case "cpuSystemNanos" -> fields.cpuSystemNanos = json.getLongValue();
                    case "peakMemoryBytes" -> fields.peakMemoryBytes = json.getLongValue();
                    case "reason" -> fields.reason = json.getValueAsString("");
                    case "detail" -> fields.detail = json.getValueAsString("");
                    case "prewarmed" -> fields.prewarmed = json.getValueAsBoolean();
                    default -> json.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new MalformedResultException(e.getOriginalMessage() + " in: " + line);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen: reading from a string", e);
        }
        return new SandboxResult(
                outcome(fields),
                Duration.ofNanos(fields.wallNanos),
                Duration.ofNanos(fields.cpuUserNanos),
                Duration.ofNanos(fields.cpuSystemNanos),
                fields.peakMemoryBytes,
                Duration.ofNanos(fields.setupNanos),
                fields.prewarmed);
    }

    private static Outcome outcome(Fields fields) throws MalformedResultException {
        if (fields.outcome == null) {
            throw new MalformedResultException("no outcome in the helper's result");
        }
        return switch (fields.outcome) {
            case "exited" -> new Outcome.Exited(fields.exitCode);
            case "signaled" -> new Outcome.Signaled(fields.signal);
            case "out-of-memory" -> new Outcome.OutOfMemory();
            case "timed-out" -> new Outcome.TimedOut();
            case "pids-exhausted" -> new Outcome.PidsExhausted();
            case "failed-to-start" -> new Outcome.FailedToStart(
                    fields.reason.isEmpty() ? "setup-failed" : fields.reason, fields.detail);
            default -> throw new MalformedResultException("unknown outcome '" + fields.outcome + "'");
        };
    }

    /** The result line's fields, with the values the helper leaves out meaning zero or empty. */
    private static final class Fields {
        String outcome;
        int exitCode;
        int signal;
        long wallNanos;
        long setupNanos;
        long cpuUserNanos;
        long cpuSystemNanos;
        long peakMemoryBytes;
        String reason = "";
        String detail = "";
        boolean prewarmed;
    }

    /** The helper wrote something that is not a result line. */
    static final class MalformedResultException extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        MalformedResultException(String message) {
            super(message);
        }
    }
}
