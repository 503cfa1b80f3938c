package dev.arrow.sandbox;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Objects;

/**
 * How a sandbox ended and what it used.
 *
 * @param outcome         how it ended
 * @param wallTime        from the helper's start to the sandbox's end
 * @param cpuUser         user CPU time of the whole sandbox
 * @param cpuSystem       system CPU time of the whole sandbox
 * @param peakMemoryBytes the sandbox's highest memory use
 * @param setupTime       from the helper's start to the program's fork: the sandbox's own start-up cost
 *                        (zero when the program never started)
 * @param prewarmed       whether the sandbox was made of a prewarmed one
 */
public record SandboxResult(
        Outcome outcome, Duration wallTime, Duration cpuUser, Duration cpuSystem, long peakMemoryBytes,
        Duration setupTime, boolean prewarmed) {

    // Plain notation: scientific notation would surprise whoever reads or greps the line.
    private static final JsonFactory JSON =
            JsonFactory.builder().enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();

    public SandboxResult {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(cpuUser, "cpuUser");
        Objects.requireNonNull(cpuSystem, "cpuSystem");
        Objects.requireNonNull(setupTime, "setupTime");
    }

    /** A result of a sandbox started cold. */
    public SandboxResult(Outcome outcome, Duration wallTime, Duration cpuUser, Duration cpuSystem, long peakMemoryBytes,
            Duration setupTime) {
        this(outcome, wallTime, cpuUser, cpuSystem, peakMemoryBytes, setupTime, false);
    }

    /** A result whose setup time is unknown or nil. */
    public SandboxResult(Outcome outcome, Duration wallTime, Duration cpuUser, Duration cpuSystem, long peakMemoryBytes) {
        this(outcome, wallTime, cpuUser, cpuSystem, peakMemoryBytes, Duration.ZERO);
    }

    /**
     * One JSON line for people and scripts, e.g.
     * {@code {"outcome":"exited","exitCode":0,"wallMs":2.417,"cpuUserMs":0.512,"cpuSystemMs":1.020,"peakMemoryBytes":401408}}.
     * Times are milliseconds with three decimals, the resolution anyone reading them cares about.
     */
    public String toJson() {
        var out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("outcome", outcome.name());
            switch (outcome) {
                case Outcome.Exited exited -> json.writeNumberField("exitCode", exited.code());
                case Outcome.Signaled signaled -> json.writeNumberField("signal", signaled.signal());
                case Outcome.FailedToStart failed -> {
                    json.writeStringField("reason", failed.reason());
                    json.writeStringField("detail", failed.detail());
                }
                case Outcome.OutOfMemory _, Outcome.TimedOut _, Outcome.PidsExhausted _ -> { }
            }
            json.writeNumberField("wallMs", millis(wallTime));
            json.writeNumberField("cpuUserMs", millis(cpuUser));
            json.writeNumberField("cpuSystemMs", millis(cpuSystem));
            json.writeNumberField("peakMemoryBytes", peakMemoryBytes);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen: writing to a string", e);
        }
        return out.toString();
    }

    private static BigDecimal millis(Duration duration) {
        return BigDecimal.valueOf(duration.toNanos(), 6).setScale(3, RoundingMode.HALF_UP);
    }
}
