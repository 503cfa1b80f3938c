package dev.arrow.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.arrows.ArrowLimits;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Bindings;
import dev.arrow.platform.arrows.DeclaredTriggers;
import dev.arrow.platform.arrows.HttpSettings;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.arrows.RuntimeHandler;
import dev.arrow.platform.arrows.Scaling;
import dev.arrow.sandbox.NetworkPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An {@link ArrowSpec} as the JSON of a revision's {@code spec} column. The stored shape is its own
 * set of records, not the API's: renaming a field of ArrowSpec must not silently change (or break
 * reading) what is on disk. Env stays a JSON object, whose order Jackson keeps both ways.
 */
final class SpecCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecCodec() {
    }

    record StoredSpec(String name, String mode, List<String> command, Map<String, String> env, String bundle,
                      StoredLimits limits, String network, StoredScaling scaling, String runtime, String handler,
                      StoredHttp http, StoredBindings bindings, JsonNode triggers, String isolation) {
    }

    /** Absent from revisions stored before bindings existed: none then. */
    record StoredBindings(List<String> kv, List<String> queues, List<String> buckets, Boolean publishEvents) {
    }

    /** Absent from revisions stored before http mode existed: the defaults then apply. */
    record StoredHttp(int port, String readinessPath, long startTimeoutNanos) {
    }

    record StoredLimits(long memoryBytes, int cpuMillis, int pids, long timeoutNanos, long tmpfsBytes) {
    }

    record StoredScaling(int concurrency, int minInstances, int maxInstances, Long keepAliveNanos) {
    }

    static String encode(ArrowSpec spec) {
        ArrowLimits limits = spec.limits();
        Scaling scaling = spec.scaling();
        var stored = new StoredSpec(spec.name(), spec.mode().name(), spec.command(), spec.env(),
                spec.bundle().orElse(null),
                new StoredLimits(limits.memoryBytes(), limits.cpuMillis(), limits.pids(), limits.timeout().toNanos(),
                        limits.tmpfsBytes()),
                spec.network().name(),
                new StoredScaling(scaling.concurrency(), scaling.minInstances(), scaling.maxInstances(),
                        scaling.keepAlive().toNanos()),
                spec.runtime().map(RuntimeHandler::runtime).orElse(null),
                spec.runtime().map(RuntimeHandler::handler).orElse(null),
                new StoredHttp(spec.http().port(), spec.http().readinessPath().orElse(null),
                        spec.http().startTimeout().toNanos()),
                spec.bindings().isEmpty() ? null
                        : new StoredBindings(spec.bindings().kv(), spec.bindings().queues(), spec.bindings().buckets(),
                                spec.bindings().publishEvents() ? Boolean.TRUE : null),
                // Absent from revisions stored before triggers existed, and from those without any.
                spec.triggers().isEmpty() ? null : spec.triggers().list(),
                // Absent from revisions stored before the VM tier, and from process-tier ones.
                spec.isolation() == Isolation.PROCESS ? null : spec.isolation().name());
        try {
            return JSON.writeValueAsString(stored);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the spec of " + spec.name(), e);
        }
    }

    /** Rebuilds the spec; the ArrowSpec constructor validates it again, as it did at deploy. */
    static ArrowSpec decode(String json) {
        StoredSpec stored;
        try {
            stored = JSON.readValue(json, StoredSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored spec is not readable: " + e.getOriginalMessage(), e);
        }
        StoredLimits limits = stored.limits();
        StoredScaling scaling = stored.scaling();
        return new ArrowSpec(stored.name(), Mode.valueOf(stored.mode()), stored.command(), stored.env(),
                Optional.ofNullable(stored.bundle()),
                new ArrowLimits(limits.memoryBytes(), limits.cpuMillis(), limits.pids(),
                        Duration.ofNanos(limits.timeoutNanos()), limits.tmpfsBytes()),
                NetworkPolicy.valueOf(stored.network()),
                new Scaling(scaling.concurrency(), scaling.minInstances(), scaling.maxInstances(),
                        scaling.keepAliveNanos() == null ? Scaling.DEFAULT_KEEP_ALIVE : Duration.ofNanos(scaling.keepAliveNanos())),
                stored.runtime() == null ? Optional.empty() : Optional.of(new RuntimeHandler(stored.runtime(), stored.handler())),
                stored.http() == null ? HttpSettings.DEFAULT
                        : new HttpSettings(stored.http().port(), Optional.ofNullable(stored.http().readinessPath()),
                                Duration.ofNanos(stored.http().startTimeoutNanos())),
                stored.bindings() == null ? Bindings.NONE
                        : new Bindings(stored.bindings().kv(), stored.bindings().queues(), stored.bindings().buckets(),
                                Boolean.TRUE.equals(stored.bindings().publishEvents())),
                DeclaredTriggers.of(stored.triggers()),
                stored.isolation() == null ? Isolation.PROCESS : Isolation.valueOf(stored.isolation()));
    }
}
