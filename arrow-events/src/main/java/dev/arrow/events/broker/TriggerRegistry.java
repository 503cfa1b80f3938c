package dev.arrow.events.broker;

import dev.arrow.events.triggers.Trigger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The triggers of every deployed arrow (of the revision that gets traffic), as the broker matches them. */
public final class TriggerRegistry {

    /** One trigger of one arrow. */
    public record Bound(String arrow, int index, Trigger trigger) {
    }

    private final Map<String, List<Trigger>> byArrow = new ConcurrentHashMap<>();

    /** The arrow's triggers from now on (an empty list: none). */
    public void set(String arrow, List<Trigger> triggers) {
        if (triggers.isEmpty()) {
            byArrow.remove(arrow);
        } else {
            byArrow.put(arrow, List.copyOf(triggers));
        }
    }

    public void remove(String arrow) {
        byArrow.remove(arrow);
    }

    public Optional<Trigger> get(String arrow, int index) {
        List<Trigger> triggers = byArrow.get(arrow);
        return triggers == null || index < 0 || index >= triggers.size() ? Optional.empty() : Optional.of(triggers.get(index));
    }

    public List<Trigger> of(String arrow) {
        return byArrow.getOrDefault(arrow, List.of());
    }

    /** Every trigger of the given kind, arrows in name order. */
    public <T extends Trigger> List<Bound> all(Class<T> kind) {
        var bound = new ArrayList<Bound>();
        byArrow.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            List<Trigger> triggers = entry.getValue();
            for (int i = 0; i < triggers.size(); i++) {
                if (kind.isInstance(triggers.get(i))) {
                    bound.add(new Bound(entry.getKey(), i, triggers.get(i)));
                }
            }
        });
        return bound;
    }
}
