package dev.arrow.server;

import dev.arrow.events.queues.QueuePollers;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.events.triggers.Triggers;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.arrows.ArrowService;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.ArrowSummary;
import dev.arrow.platform.arrows.Mode;
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

    ArrowTriggers(ArrowService arrows, RouteTable routes, Optional<QueuePollers> pollers) {
        this.arrows = arrows;
        this.routes = routes;
        this.pollers = pollers;
    }

    RouteTable routes() {
        return routes;
    }

    /** Takes up every deployed arrow's triggers, as the node starts. */
    void load() {
        for (ArrowSummary arrow : arrows.list()) {
            try {
                follow(arrow.name(), Optional.of(arrows.details(arrow.name()).traffic().spec()));
            } catch (RuntimeException e) {
                // a revision stored by an older node may not parse now: it runs, without its triggers
                LOG.log(Level.WARNING, "the triggers of '" + arrow.name() + "' are not taken up: " + e.getMessage());
            }
        }
    }

    /** Deploys {@code spec} by {@code deploy} if its routes overlap no other arrow's, and follows it. */
    <T> T deploy(ArrowSpec spec, Supplier<T> deploy) {
        synchronized (routes) {
            routes.check(spec);
            T done = deploy.get();
            changed(spec.name());
            return done;
        }
    }

    /** Rolls {@code arrow} back by {@code rollback} if the revision it goes to claims no other arrow's routes. */
    <T> T rollback(String arrow, Optional<Integer> revision, Supplier<T> rollback) {
        synchronized (routes) {
            target(arrow, revision).ifPresent(routes::check);
            T done = rollback.get();
            changed(arrow);
            return done;
        }
    }

    /** Follows {@code arrow} as it is stored now: deployed, rolled back or gone. */
    void changed(String arrow) {
        Optional<ArrowSpec> spec;
        try {
            spec = Optional.of(arrows.details(arrow).traffic().spec());
        } catch (NotFoundException e) {
            spec = Optional.empty();
        }
        follow(arrow, spec);
    }

    private void follow(String arrow, Optional<ArrowSpec> spec) {
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
