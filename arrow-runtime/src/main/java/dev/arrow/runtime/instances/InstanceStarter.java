package dev.arrow.runtime.instances;

import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxSpec;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Starts the instances of one {@link InstanceSpec}. The sandbox spec of an instance in its own
 * network namespace is the same for every start, so it is made once, here, and not at each cold
 * start, where it would run as code too rarely run to be compiled ({@code arrow bench http}'s cold
 * rows); an instance on
 * the host's network gets a free port, and so a sandbox spec, of its own.
 */
public final class InstanceStarter implements InstanceFleet.Starter {

    private final SandboxDriver driver;
    private final InstanceSpec spec;
    private final Clock clock;
    private final SandboxSpec sandboxSpec; // null on the host's network
    private final InstanceClient client; // null: none to ready

    /** {@code client}: the one that sends the requests to these instances; it is readied for each while its app starts. */
    public InstanceStarter(SandboxDriver driver, InstanceSpec spec, Clock clock, InstanceClient client) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.client = client;
        this.sandboxSpec = spec.network() == NetworkPolicy.HOST ? null : Instance.sandboxSpec(spec, spec.port());
    }

    public InstanceSpec spec() {
        return spec;
    }

    @Override
    public Instance start(String id) throws InstanceStartException, InterruptedException {
        if (sandboxSpec == null) {
            int port = Instance.freeHostPort();
            return Instance.start(driver, spec, Instance.sandboxSpec(spec, port), port, id, clock, client);
        }
        return Instance.start(driver, spec, sandboxSpec, spec.port(), id, clock, client);
    }

    /** Starts an instance whose environment also has {@code moreEnv} (e.g. a token of its own). */
    public Instance start(String id, Map<String, String> moreEnv) throws InstanceStartException, InterruptedException {
        if (moreEnv.isEmpty()) {
            return start(id);
        }
        int port = sandboxSpec == null ? Instance.freeHostPort() : spec.port();
        SandboxSpec base = sandboxSpec == null ? Instance.sandboxSpec(spec, port) : sandboxSpec;
        var env = new LinkedHashMap<>(base.env());
        env.putAll(moreEnv);
        var own = new SandboxSpec(base.argv(), env, base.workdir(), base.mounts(), base.limits(), base.network(),
                base.uid(), base.gid(), base.hostname(), base.readyPort());
        return Instance.start(driver, spec, own, port, id, clock, client);
    }
}
