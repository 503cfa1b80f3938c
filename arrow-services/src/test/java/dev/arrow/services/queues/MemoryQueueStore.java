package dev.arrow.services.queues;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/** Queues in memory, for the rules' tests and the queue pollers': one lock, no dead letters' bookkeeping beyond the port's. */
public final class MemoryQueueStore implements QueueStore {

    private static final class Msg {
        final String id;
        final long seq;
        final byte[] body;
        final Instant sentAt;
        Instant visibleAt;
        int count;
        Instant firstReceivedAt;
        String token;

        Msg(String id, long seq, byte[] body, Instant sentAt, Instant visibleAt) {
            this.id = id;
            this.seq = seq;
            this.body = body;
            this.sentAt = sentAt;
            this.visibleAt = visibleAt;
        }
    }

    private record Q(QueueOptions options, Instant createdAt, List<Msg> messages) {
    }

    private final TreeMap<String, Q> queues = new TreeMap<>();
    private long seq;
    volatile int receives;

    /** Receives so far, empty ones included. */
    public int receives() {
        return receives;
    }

    @Override
    public synchronized Created create(String queue, QueueOptions options, Instant now) {
        Q q = queues.get(queue);
        if (q != null) {
            return new Created(info(queue, q, now), false);
        }
        q = new Q(options, now, new ArrayList<>());
        queues.put(queue, q);
        return new Created(info(queue, q, now), true);
    }

    @Override
    public synchronized Optional<QueueInfo> queue(String queue, Instant now) {
        return Optional.ofNullable(queues.get(queue)).map(q -> info(queue, q, now));
    }

    @Override
    public synchronized List<QueueInfo> queues(Instant now) {
        return queues.entrySet().stream().map(e -> info(e.getKey(), e.getValue(), now)).toList();
    }

    @Override
    public synchronized boolean deleteQueue(String queue) {
        return queues.remove(queue) != null;
    }

    @Override
    public synchronized SendResult send(String queue, byte[] body, Optional<Duration> delay, QueueOptions ifNew,
            Instant now) {
        Q q = queues.get(queue);
        boolean creating = q == null;
        QueueOptions options = creating ? ifNew : q.options();
        if (creating) {
            q = new Q(ifNew, now, new ArrayList<>());
        }
        if (body.length > options.maxMessageBytes()) {
            return new SendResult.TooLarge(info(queue, q, now));
        }
        if (q.messages().size() >= options.maxMessages()) {
            return new SendResult.QueueFull(info(queue, q, now));
        }
        queues.put(queue, q);
        String id = "m" + (++seq);
        Instant visibleAt = now.plus(delay.orElse(options.delay()));
        q.messages().add(new Msg(id, seq, body, now, visibleAt));
        return new SendResult.Sent(id, now, visibleAt, creating);
    }

    @Override
    public synchronized Optional<List<Message>> receive(String queue, int max, Optional<Duration> visibility,
            Instant now) {
        receives++;
        Q q = queues.get(queue);
        if (q == null) {
            return Optional.empty();
        }
        Instant until = now.plus(visibility.orElse(q.options().visibilityTimeout()));
        var out = new ArrayList<Message>();
        q.messages().stream().filter(m -> !m.visibleAt.isAfter(now))
                .sorted(Comparator.comparing((Msg m) -> m.visibleAt).thenComparingLong(m -> m.seq)).limit(max)
                .forEach(m -> {
                    m.count++;
                    m.firstReceivedAt = m.firstReceivedAt == null ? now : m.firstReceivedAt;
                    m.token = ReceiptHandle.newToken();
                    m.visibleAt = until;
                    out.add(new Message(m.id, m.body, m.count, m.sentAt, m.firstReceivedAt,
                            new ReceiptHandle(queue, m.id, m.token).encode(), until, Optional.empty()));
                });
        return Optional.of(out);
    }

    private HandleResult find(String queue, ReceiptHandle handle, Msg[] out) {
        Q q = queues.get(queue);
        if (q == null) {
            return new HandleResult.NoQueue();
        }
        Msg m = q.messages().stream().filter(x -> x.id.equals(handle.messageId())).findFirst().orElse(null);
        if (m == null) {
            return new HandleResult.Gone();
        }
        if (!handle.token().equals(m.token)) {
            return new HandleResult.Stale();
        }
        out[0] = m;
        return null;
    }

    @Override
    public synchronized HandleResult delete(String queue, ReceiptHandle handle, Instant now) {
        Msg[] m = new Msg[1];
        HandleResult refused = find(queue, handle, m);
        if (refused != null) {
            return refused;
        }
        queues.get(queue).messages().remove(m[0]);
        return new HandleResult.Done();
    }

    @Override
    public synchronized HandleResult changeVisibility(String queue, ReceiptHandle handle, Duration visibility,
            Instant now) {
        Msg[] m = new Msg[1];
        HandleResult refused = find(queue, handle, m);
        if (refused != null) {
            return refused;
        }
        if (!m[0].visibleAt.isAfter(now)) {
            return new HandleResult.NotInFlight();
        }
        m[0].visibleAt = now.plus(visibility);
        return new HandleResult.Done();
    }

    @Override
    public synchronized OptionalLong purge(String queue, Instant now) {
        Q q = queues.get(queue);
        if (q == null) {
            return OptionalLong.empty();
        }
        long n = q.messages().size();
        q.messages().clear();
        return OptionalLong.of(n);
    }

    @Override
    public synchronized OptionalLong redrive(String deadLetterQueue, Instant now) {
        return queues.containsKey(deadLetterQueue) ? OptionalLong.of(0) : OptionalLong.empty();
    }

    @Override
    public synchronized Optional<Instant> nextVisibleAt(String queue, Instant now) {
        Q q = queues.get(queue);
        return q == null ? Optional.empty()
                : q.messages().stream().map(m -> m.visibleAt).filter(at -> at.isAfter(now)).min(Comparator.naturalOrder());
    }

    private static QueueInfo info(String name, Q q, Instant now) {
        long visible = q.messages().stream().filter(m -> !m.visibleAt.isAfter(now)).count();
        long inFlight = q.messages().stream().filter(m -> m.visibleAt.isAfter(now) && m.token != null).count();
        long delayed = q.messages().size() - visible - inFlight;
        Optional<Duration> age = q.messages().stream().map(m -> m.sentAt).min(Comparator.naturalOrder())
                .map(at -> Duration.between(at, now));
        return new QueueInfo(name, q.options(), visible, inFlight, delayed, age, q.createdAt());
    }
}
