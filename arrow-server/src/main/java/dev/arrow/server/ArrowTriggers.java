package dev.arrow.server;

import dev.arrow.events.queues.QueuePoller;
import dev.arrow.events.queues.QueuePollers;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.triggers.Triggers;
import dev.arrow.platform.arrows.ArrowService;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.invocations.InvocationService;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the node keeps of its arrows' triggers besides the broker's: the gateway routes they claim
 * and their queue pollers, made to follow every deploy, rollback and delete. A deploy or rollback
 * is checked against the other arrows' routes and done under one lock, so that two at once cannot
 * both claim a route.
 */
final class ArrowTriggers implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ArrowTriggers.class.getName());
    /** The most batches one queue trigger runs at once, whatever the arrow's scaling allows. */
    static final int MAX_BATCHES = 100;

    private final ArrowService arrows;
    private final RouteTable routes;
    private final Optional<QueuePollers> pollers;

    ArrowTriggers(ArrowService arrows, InvocationService invocations, RouteTable routes, Optional<QueuePollers> pollers) {
        this.arrows = arrows;
        this.routes = routes;
        this.pollers = pollers;
        invocations.onArrowChanged(this::follow);
    }

    RouteTable routes() {
        return routes;
    }

    /** The poller of a queue trigger of {@code arrow}, for its figures. */
    Optional<QueuePoller> poller(String arrow, Trigger.Queue trigger) {
        return pollers.flatMap(p -> p.poller(arrow, trigger));
    }

    /** Takes up every deployed arrow's triggers, as the node starts. */
    void load() {
        for (ArrowSummary arrow : arrows.list()) {
            ArrowSpec spec;
            try {
                spec = arrows.details(arrow.name()).traffic().spec();
            } catch (RuntimeException e) {
                continue; // deleted meanwhile
            }
            follow(arrow.name(), Optional.of(spec)); // one whose triggers no longer parse runs without them
        }
    }

    /**
     * Deploys {@code spec} by {@code deploy} if its routes overlap no other arrow's; {@code deploy}
     * tells the invocations of the change, which tell this ({@link #follow}).
     */
    <T> T deploy(ArrowSpec spec, Supplier<T> deploy) {
        synchronized (routes) {
            routes.check(spec);
            return deploy.get();
        }
    }

    /** Rolls {@code arrow} back by {@code rollback} if the revision it goes to claims no other arrow's routes. */
    <T> T rollback(String arrow, Optional<Integer> revision, Supplier<T> rollback) {
        synchronized (routes) {
            target(arrow, revision).ifPresent(routes::check);
            return rollback.get();
        }
    }

    /** Follows a deploy, rollback or delete: {@code spec} is the arrow's traffic revision's, empty when it is gone. */
    private void follow(String arrow, Optional<ArrowSpec> spec) {
        try {
            take(arrow, spec);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the triggers of '" + arrow + "' are not taken up: " + e.getMessage());
        }
    }

    private void take(String arrow, Optional<ArrowSpec> spec) {
        synchronized (routes) {
            if (spec.isEmpty()) {
                routes.remove(arrow);
                pollers.ifPresent(p -> p.remove(arrow));
                return;
            }
            routes.set(arrow, spec.get());
            pollers.ifPresent(p -> p.update(arrow, triggers(spec.get()), batches(spec.get())));
        }
    }

    /** The spec a rollback goes to; empty when the rollback itself will refuse (and say why). */
    private Optional<ArrowSpec> target(String arrow, Optional<Integer> revision) {
        try {
            int number = revision.orElseGet(() -> arrows.details(arrow).summary().trafficRevision() - 1);
            return number < 1 ? Optional.empty() : Optional.of(arrows.revision(arrow, number).spec());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static List<Trigger> triggers(ArrowSpec spec) {
        return spec.triggers().isEmpty() ? List.of() : Triggers.parse(spec.triggers().list(),
                Set.copyOf(spec.bindings().queues()), Set.copyOf(spec.bindings().buckets()));
    }

    /** As many batches at once as the arrow can run: its instances, times their concurrency in http mode. */
    static int batches(ArrowSpec spec) {
        long slots = (long) spec.scaling().maxInstances() * (spec.mode() == Mode.HTTP ? spec.scaling().concurrency() : 1);
        return (int) Math.max(1, Math.min(MAX_BATCHES, slots));
    }

    @Override
    public void close() {
        pollers.ifPresent(QueuePollers::close);
    }
}
