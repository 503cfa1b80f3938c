package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.bundles.BundleStore;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Deploys, lists, rolls back and deletes arrows. Every deploy is a new immutable revision. */
public final class ArrowService {

    private final ArrowStore store;
    private final BundleStore bundles;
    private final Clock clock;

    public ArrowService(ArrowStore store, BundleStore bundles, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.bundles = Objects.requireNonNull(bundles, "bundles");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Stores {@code spec} as the arrow's next revision and routes traffic to it. */
    public ArrowDetails deploy(ArrowSpec spec) {
        spec.bundle().ifPresent(digest -> {
            if (!bundles.contains(digest)) {
                throw new InvalidInputException("bundle", "no bundle " + digest + " on this node: upload it first");
            }
        });
        Revision revision = store.addRevision(spec, clock.instant());
        return details(revision.arrow());
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
