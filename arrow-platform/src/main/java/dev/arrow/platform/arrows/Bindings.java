package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What an arrow may reach of the node's services from inside its sandbox: the key-value stores,
 * queues and buckets its manifest names ({@code bindings: {kv: [..], queues: [..], buckets: [..]}}).
 * Names are checked as the services check them; the complaint names the field, e.g.
 * {@code bindings.kv[1]}. A name given twice counts once.
 *
 * @param kv      key-value stores it may read and write
 * @param queues  queues it may send to, receive from and delete from
 * @param buckets buckets whose objects it may read and write
 * @param publishEvents whether it may publish CloudEvents to the node's broker ({@code events: publish})
 */
public record Bindings(List<String> kv, List<String> queues, List<String> buckets, boolean publishEvents) {

    /** No service at all: what an arrow deployed without bindings gets. */
    public static final Bindings NONE = new Bindings(List.of(), List.of(), List.of());

    /** At most this many names of each kind. */
    public static final int MAX_PER_KIND = 64;

    // S3's rule for bucket names (path-style addressing): 3 to 63 of lowercase, digits, '.', '-'.
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    public Bindings {
        kv = names(kv, "kv", "store");
        queues = names(queues, "queues", "queue");
        buckets = names(buckets, "buckets", "bucket");
    }

    /** Services, without the events binding. */
    public Bindings(List<String> kv, List<String> queues, List<String> buckets) {
        this(kv, queues, buckets, false);
    }

    public boolean bindsKv(String store) {
        return kv.contains(store);
    }

    public boolean bindsQueue(String queue) {
        return queues.contains(queue);
    }

    public boolean bindsBucket(String bucket) {
        return buckets.contains(bucket);
    }

    public boolean isEmpty() {
        return kv.isEmpty() && queues.isEmpty() && buckets.isEmpty() && !publishEvents;
    }

    /** Whether {@code name} is a valid bucket name (S3's rule, path-style). */
    public static boolean isValidBucketName(String name) {
        return name != null && BUCKET.matcher(name).matches() && !name.contains("..");
    }

    private static List<String> names(List<String> names, String kind, String noun) {
        if (names == null || names.isEmpty()) {
            return List.of();
        }
        String field = "bindings." + kind;
        if (names.size() > MAX_PER_KIND) {
            throw new InvalidInputException(field, field + " names more than " + MAX_PER_KIND + " " + kind);
        }
        var distinct = new LinkedHashSet<String>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String at = field + "[" + i + "]";
            if (name == null || name.isEmpty()) {
                throw new InvalidInputException(at, "a " + noun + " name is required");
            }
            boolean valid = kind.equals("buckets") ? isValidBucketName(name) : ArrowName.isValid(name);
            if (!valid) {
                throw new InvalidInputException(at, "'" + shorten(name) + "' is not a valid " + noun + " name: use "
                        + (kind.equals("buckets") ? "3 to 63 lowercase letters, digits, '.' and '-'"
                                : "1 to 63 lowercase letters, digits and '-'")
                        + ", starting and ending with a letter or digit");
            }
            distinct.add(name);
        }
        return List.copyOf(new ArrayList<>(distinct));
    }

    private static String shorten(String text) {
        String printable = text.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return printable.length() <= 64 ? printable : printable.substring(0, 64) + "...";
    }
}
