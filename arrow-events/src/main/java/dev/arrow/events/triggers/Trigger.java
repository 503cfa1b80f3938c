package dev.arrow.events.triggers;

import dev.arrow.events.filters.Filter;
import dev.arrow.events.schedules.CronSchedule;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** What makes an arrow run besides a call: the closed set of kinds a manifest may declare. */
public sealed interface Trigger {

    /** The kind's name as written in a manifest. */
    String kind();

    /** Triggers whose events are stored and delivered later, with retries and dead letters. */
    sealed interface Delivered extends Trigger {
        DeliveryPolicy delivery();
    }

    /** Fires at each time of a cron schedule; two firings overlap only when {@code overlap} says so. */
    record Schedule(CronSchedule schedule, boolean overlap, DeliveryPolicy delivery) implements Delivered {
        @Override
        public String kind() {
            return "schedule";
        }
    }

    /** Every CloudEvent that the node accepts and that passes the filter. */
    record Event(Filter filter, DeliveryPolicy delivery) implements Delivered {
        @Override
        public String kind() {
            return "event";
        }
    }

    /** Messages of a bound queue, in batches of up to {@code batchSize}, waiting up to {@code batchWindow} to fill one. */
    record Queue(String queue, int batchSize, Duration batchWindow, DeliveryPolicy delivery) implements Delivered {
        public static final int MAX_BATCH = 10;

        @Override
        public String kind() {
            return "queue";
        }
    }

    /** Objects created or deleted in a bound bucket, keys filtered by prefix and suffix. */
    record Bucket(String bucket, Set<BucketEvent> events, String prefix, String suffix, DeliveryPolicy delivery)
            implements Delivered {
        public Bucket {
            events = Set.copyOf(events);
        }

        @Override
        public String kind() {
            return "bucket";
        }

        public boolean matches(BucketEvent event, String key) {
            return events.contains(event) && key.startsWith(prefix) && key.endsWith(suffix);
        }
    }

    /** A route of the arrow's own on the gateway: a path prefix, its methods (empty: all), a host (empty: any). */
    record Http(String path, Set<String> methods, Optional<String> host) implements Trigger {
        public Http {
            methods = Set.copyOf(methods);
        }

        @Override
        public String kind() {
            return "http";
        }

        /** True when a request could match both routes: hosts, methods and paths intersect. */
        public boolean overlaps(Http other) {
            boolean hosts = host.isEmpty() || other.host.isEmpty() || host.get().equalsIgnoreCase(other.host.get());
            boolean verbs = methods.isEmpty() || other.methods.isEmpty() || methods.stream().anyMatch(other.methods::contains);
            return hosts && verbs && (covers(path, other.path) || covers(other.path, path));
        }

        /** True when {@code prefix} routes {@code path}: equal, or a prefix ending at a segment's end. */
        public static boolean covers(String prefix, String path) {
            if (prefix.equals("/") || prefix.equals(path)) {
                return true;
            }
            String base = prefix.endsWith("/") ? prefix : prefix + "/";
            return path.startsWith(base);
        }
    }

    /** The object events of a bucket trigger. */
    enum BucketEvent {
        CREATED, DELETED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The kinds a manifest may name, in the order the docs list them. */
    List<String> KINDS = List.of("schedule", "event", "queue", "bucket", "http");
}
