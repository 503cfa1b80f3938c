package dev.arrow.platform.arrows;

import dev.arrow.platform.IdempotencyConflictException;
import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.Idempotent;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.bundles.BundleStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/** Deploys, lists, rolls back and deletes arrows. Every deploy is a new immutable revision. */
public final class ArrowService {

    /** How often, at most, keyed deploys sweep out the keys past their retention. */
    static final Duration KEY_SWEEP_EVERY = Duration.ofHours(1);

    private final ArrowStore store;
    private final BundleStore bundles;
    private final Clock clock;
    private final Consumer<ArrowSpec> runnable;
    private volatile Instant nextKeySweep = Instant.MIN;

    public ArrowService(ArrowStore store, BundleStore bundles, Clock clock) {
        this(store, bundles, clock, spec -> {
        });
    }

    /**
     * @param runnable refuses, with an {@link InvalidInputException}, a spec this node cannot run (an
     *                 isolation tier it lacks); checked at each deploy and rollback
     */
    public ArrowService(ArrowStore store, BundleStore bundles, Clock clock, Consumer<ArrowSpec> runnable) {
        this.store = Objects.requireNonNull(store, "store");
        this.bundles = Objects.requireNonNull(bundles, "bundles");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.runnable = Objects.requireNonNull(runnable, "runnable");
    }

    /** Stores {@code spec} as the arrow's next revision and routes traffic to it. */
    public ArrowDetails deploy(ArrowSpec spec) {
        return deploy(spec, Optional.empty()).result();
    }

    /**
     * Deploys {@code spec}, at most once per idempotency key: a retry with the key the arrow's
     * deploy was made with, within the key's retention, adds no revision and gets the first
     * deploy's answer again (its revision, as the arrow was right after it), replayed.
     *
     * @throws IdempotencyConflictException the key was used for another spec of this arrow
     */
    public Idempotent<ArrowDetails> deploy(ArrowSpec spec, Optional<IdempotencyKey> key) {
        runnable.accept(spec);
        spec.bundle().ifPresent(digest -> {
            if (!bundles.contains(digest)) {
                throw new InvalidInputException("bundle", "no bundle " + digest + " on this node: upload it first");
            }
        });
        if (key.isEmpty()) {
            Revision revision = store.addRevision(spec, clock.instant());
            return Idempotent.done(details(revision.arrow()));
        }
        sweepKeys();
        Optional<IdempotencyKey.Use<Integer>> replacing = Optional.empty();
        while (true) {
            Instant now = clock.instant();
            Optional<IdempotencyKey.Use<Integer>> held = store.addRevision(spec, now, key.get(), replacing);
            if (held.isEmpty()) {
                return Idempotent.done(details(spec.name()));
            }
            IdempotencyKey.Use<Integer> use = held.get();
            if (IdempotencyKey.expired(use, now)) {
                replacing = held; // the store replaces it only if nobody has meanwhile
                continue;
            }
            if (!key.get().sameRequestAs(use)) {
                throw IdempotencyConflictException.reused(key.get());
            }
            return Idempotent.replayed(asDeployed(spec.name(), use.result()));
        }
    }

    /** The arrow as its deploy of {@code number} answered it: that revision the latest, with the traffic. */
    private ArrowDetails asDeployed(String name, int number) {
        ArrowSummary now = summary(name);
        Revision revision = store.revision(name, number).orElseThrow(() -> new NotFoundException("revision",
                name + "/" + number));
        return new ArrowDetails(new ArrowSummary(name, number, number, now.createdAt(), revision.createdAt()), revision);
    }

    /** At most every {@link #KEY_SWEEP_EVERY}, on a keyed deploy: the keys past their retention go. */
    private void sweepKeys() {
        Instant now = clock.instant();
        if (now.isBefore(nextKeySweep)) {
            return;
        }
        nextKeySweep = now.plus(KEY_SWEEP_EVERY); // two at once may both sweep: no harm
        store.deleteKeysBefore(now.minus(IdempotencyKey.RETENTION));
    }

    public ArrowDetails details(String name) {
        ArrowSummary summary = summary(name);
        Revision traffic = store.revision(name, summary.trafficRevision())
                .orElseThrow(() -> new NotFoundException("arrow", name));
        return new ArrowDetails(summary, traffic);
    }

    public List<ArrowSummary> list() {
        return store.arrows();
    }

    public List<Revision> revisions(String name) {
        summary(name);
        return store.revisions(name);
    }

    public Revision revision(String name, int number) {
        summary(name);
        return store.revision(name, number)
                .orElseThrow(() -> new NotFoundException("revision", name + "/" + number));
    }

    /**
     * Routes traffic to {@code revision}, or when empty to the revision just before the one that
     * has traffic now. A rollback is a pointer move: nothing is redeployed.
     */
    public ArrowDetails rollback(String name, Optional<Integer> revision) {
        ArrowSummary summary = summary(name);
        int target = revision.orElse(summary.trafficRevision() - 1);
        if (revision.isEmpty() && target < 1) {
            throw new InvalidInputException("revision", "'" + name + "' has no revision before "
                    + summary.trafficRevision() + " to roll back to");
        }
        if (target < 1 || target > summary.latestRevision()) {
            throw new InvalidInputException("revision", "'" + name + "' has revisions 1 to "
                    + summary.latestRevision() + ", not " + target);
        }
        // A revision deployed where its tier ran may not run here now (the node's qemu gone).
        store.revision(name, target).ifPresent(old -> runnable.accept(old.spec()));
        if (!store.route(name, target, clock.instant())) {
            throw new NotFoundException("revision", name + "/" + target);
        }
        return details(name);
    }

    public void delete(String name) {
        ArrowName.require(name, "name");
        if (!store.delete(name)) {
            throw new NotFoundException("arrow", name);
        }
    }

    private ArrowSummary summary(String name) {
        ArrowName.require(name, "name");
        return store.arrow(name).orElseThrow(() -> new NotFoundException("arrow", name));
    }
}
