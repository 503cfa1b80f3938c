package dev.arrow.platform.arrows;

import dev.arrow.platform.IdempotencyKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An {@link ArrowStore} in memory, atomic by one lock, for tests of what runs on top of one. */
public final class InMemoryArrowStore implements ArrowStore {

    private record Arrow(ArrowSummary summary, List<Revision> revisions) {
    }

    private final Map<String, Arrow> arrows = new TreeMap<>();
    private final Map<String, IdempotencyKey.Use<Integer>> keys = new TreeMap<>(); // by "arrow key"
    private int reads;
    private int revisionReads;

    @Override
    public synchronized Revision addRevision(ArrowSpec spec, Instant now) {
        Arrow current = arrows.get(spec.name());
        int number = current == null ? 1 : current.summary().latestRevision() + 1;
        var revision = new Revision(spec.name(), number, spec, now);
        var revisions = new ArrayList<Revision>(current == null ? List.of() : current.revisions());
        revisions.add(revision);
        Instant created = current == null ? now : current.summary().createdAt();
        arrows.put(spec.name(), new Arrow(new ArrowSummary(spec.name(), number, number, created, now), revisions));
        return revision;
    }

    @Override
    public synchronized Optional<IdempotencyKey.Use<Integer>> addRevision(ArrowSpec spec, Instant now,
            IdempotencyKey key, Optional<IdempotencyKey.Use<Integer>> replacing) {
        Optional<IdempotencyKey.Use<Integer>> held = Optional.ofNullable(keys.get(spec.name() + " " + key.key()));
        if (held.isPresent() && !held.equals(replacing)) {
            return held;
        }
        Revision revision = addRevision(spec, now);
        keys.put(spec.name() + " " + key.key(), new IdempotencyKey.Use<>(key.fingerprint(), now, revision.number()));
        return Optional.empty();
    }

    @Override
    public synchronized int deleteKeysBefore(Instant cutoff) {
        int before = keys.size();
        keys.values().removeIf(use -> use.at().isBefore(cutoff));
        return before - keys.size();
    }

    /** The deploys' idempotency keys stored, as "ARROW KEY". */
    public synchronized java.util.Set<String> keys() {
        return java.util.Set.copyOf(keys.keySet());
    }

    @Override
    public synchronized Optional<ArrowSummary> arrow(String name) {
        reads++;
        return Optional.ofNullable(arrows.get(name)).map(Arrow::summary);
    }

    @Override
    public synchronized List<ArrowSummary> arrows() {
        return arrows.values().stream().map(Arrow::summary).toList();
    }

    @Override
    public synchronized Optional<Revision> revision(String name, int number) {
        revisionReads++;
        Arrow arrow = arrows.get(name);
        return arrow == null ? Optional.empty()
                : arrow.revisions().stream().filter(revision -> revision.number() == number).findFirst();
    }

    @Override
    public synchronized List<Revision> revisions(String name) {
        Arrow arrow = arrows.get(name);
        return arrow == null ? List.of()
                : arrow.revisions().stream().sorted(Comparator.comparingInt(Revision::number).reversed()).toList();
    }

    @Override
    public synchronized boolean route(String name, int revision, Instant now) {
        Arrow arrow = arrows.get(name);
        if (arrow == null || arrow.revisions().stream().noneMatch(stored -> stored.number() == revision)) {
            return false;
        }
        ArrowSummary summary = arrow.summary();
        arrows.put(name, new Arrow(new ArrowSummary(name, summary.latestRevision(), revision, summary.createdAt(), now),
                arrow.revisions()));
        return true;
    }

    @Override
    public synchronized boolean delete(String name) {
        keys.keySet().removeIf(key -> key.startsWith(name + " "));
        return arrows.remove(name) != null;
    }

    /** How often a revision was read by its number. */
    public synchronized int revisionReads() {
        return revisionReads;
    }

    /** How often an arrow's summary was read: what a request must not cost. */
    public synchronized int summaryReads() {
        return reads;
    }
}
