package dev.arrow.state;

import dev.arrow.platform.arrows.ArrowLimits;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Bindings;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.arrows.Scaling;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationIds;
import dev.arrow.platform.invocations.InvocationRecord;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.Trigger;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.Outcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/** Specs, records and executions for the tests, every field set to something not a default. */
final class Fixtures {

    static final Instant T0 = Instant.parse("2026-03-01T10:15:30.123Z");
    static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

    private static final InvocationIds IDS = new InvocationIds(Clock.systemUTC());

    private Fixtures() {
    }

    static Instant at(long secondsAfterT0) {
        return T0.plusSeconds(secondsAfterT0).truncatedTo(ChronoUnit.MILLIS);
    }

    static String nextId() {
        return IDS.next();
    }

    /** A spec with every field away from its default; env deliberately not in sorted order. */
    static ArrowSpec fullSpec(String name) {
        var env = new LinkedHashMap<String, String>();
        env.put("ZETA", "last letter first");
        env.put("alpha", "");
        env.put("MIDDLE", "with = and \"quotes\" and ünïcödé\nand a newline");
        env.put("_x1", "1");
        return new ArrowSpec(name, Mode.EXEC, List.of("python3", "/code/main.py", "--flag", ""), env,
                Optional.of(DIGEST),
                new ArrowLimits(256L << 20, 1500, 64, Duration.ofMillis(12_345).plusNanos(678), 32L << 20),
                NetworkPolicy.HOST, new Scaling(3, 1, 7))
                .withBindings(new Bindings(List.of("carts", "sessions"), List.of("orders"), List.of("images.v2")));
    }

    static ArrowSpec simpleSpec(String name) {
        return ArrowSpec.exec(name, List.of("cat"));
    }

    static Execution execution(Instant startedAt, Outcome outcome, Optional<RunError> error) {
        return new Execution(startedAt, true, Duration.ofNanos(3_100_123), Duration.ofNanos(12_400_456), outcome, error,
                Duration.ofNanos(5_200_789), Duration.ofNanos(2_000_001), 3_391_488L, 134_217_728L,
                Duration.ofMillis(13), 0.001625, 12L, 4_096L, true);
    }

    static InvocationRecord queued(String id, String arrow, Instant acceptedAt) {
        return InvocationRecord.accepted(id, arrow, 3, Trigger.ASYNC, acceptedAt);
    }

    /** A sync invocation as the platform writes it: once, finished. */
    static InvocationRecord syncSucceeded(String id, String arrow, Instant acceptedAt) {
        return InvocationRecord.accepted(id, arrow, 2, Trigger.SYNC, acceptedAt)
                .finished(execution(acceptedAt.plusMillis(1), new Outcome.Exited(0), Optional.empty()));
    }

    static InvocationRecord syncFailed(String id, String arrow, Instant acceptedAt) {
        return InvocationRecord.accepted(id, arrow, 2, Trigger.SYNC, acceptedAt)
                .finished(execution(acceptedAt.plusMillis(1), new Outcome.Exited(1), Optional.empty()));
    }
}
