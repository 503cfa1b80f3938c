package dev.arrow.events.queues;

import dev.arrow.events.broker.ArrowRunner;
import dev.arrow.events.triggers.Trigger;
import dev.arrow.services.queues.QueueService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The queue triggers' pollers of every arrow: {@link #update} after a deploy or rollback makes the
 * arrow's pollers match its triggers (an unchanged trigger keeps its poller, and its batches run
 * on), {@link #remove} after a delete stops them.
 */
public final class QueuePollers implements AutoCloseable {

    private final QueueService queues;
    private final ArrowRunner runner;
    private final Clock clock;
    private final QueuePoller.Pauses pauses;
    private final Map<String, Map<Key, QueuePoller>> byArrow = new HashMap<>();
    private boolean closed;

    public QueuePollers(QueueService queues, ArrowRunner runner, Clock clock) {
        this(queues, runner, clock, QueuePoller.Pauses.DEFAULT);
    }

    QueuePollers(QueueService queues, ArrowRunner runner, Clock clock, QueuePoller.Pauses pauses) {
        this.queues = Objects.requireNonNull(queues, "queues");
        this.runner = Objects.requireNonNull(runner, "runner");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pauses = pauses;
    }

    private record Key(Trigger.Queue trigger, int concurrency) {
    }

    /**
     * Makes {@code arrow}'s pollers those of the queue triggers in {@code triggers}, each running up
     * to {@code concurrency} batches at a time (the arrow's instances).
     */
    public void update(String arrow, List<Trigger> triggers, int concurrency) {
        var wanted = new LinkedHashMap<Key, QueuePoller>();
        var stopping = new ArrayList<QueuePoller>();
        synchronized (this) {
            if (closed) {
                return;
            }
            Map<Key, QueuePoller> current = byArrow.getOrDefault(arrow, Map.of());
            for (Trigger trigger : triggers) {
                if (trigger instanceof Trigger.Queue queue) {
                    Key key = new Key(queue, Math.max(1, concurrency));
                    if (!wanted.containsKey(key)) {
                        QueuePoller kept = current.get(key);
                        wanted.put(key, kept != null ? kept
                                : QueuePoller.start(arrow, queue, key.concurrency(), queues, runner, clock, pauses));
                    }
                }
            }
            current.forEach((key, poller) -> {
                if (!wanted.containsKey(key)) {
                    stopping.add(poller);
                }
            });
            if (wanted.isEmpty()) {
                byArrow.remove(arrow);
            } else {
                byArrow.put(arrow, wanted);
            }
        }
        stopping.forEach(QueuePoller::close);
    }

    /** Stops {@code arrow}'s pollers. */
    public void remove(String arrow) {
        update(arrow, List.of(), 1);
    }

    /** The poller of {@code arrow}'s queue trigger {@code trigger}, while it runs. */
    public synchronized Optional<QueuePoller> poller(String arrow, Trigger.Queue trigger) {
        return byArrow.getOrDefault(arrow, Map.of()).values().stream().filter(p -> p.trigger().equals(trigger)).findFirst();
    }

    /** The pollers running now, for reports. */
    public synchronized List<QueuePoller> pollers() {
        return byArrow.values().stream().flatMap(m -> m.values().stream()).toList();
    }

    @Override
    public void close() {
        List<QueuePoller> all;
        synchronized (this) {
            closed = true;
            all = byArrow.values().stream().flatMap(m -> m.values().stream()).toList();
            byArrow.clear();
        }
        all.forEach(QueuePoller::close);
    }
}
