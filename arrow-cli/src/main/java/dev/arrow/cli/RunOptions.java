package dev.arrow.cli;

import dev.arrow.sandbox.Limits;
import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Units;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code arrow run}'s options read in Java, for {@code --isolation vm}: the words, ranges and
 * messages of the native helper's run mode (native/src/run_cli.c), into a {@link SandboxSpec}.
 * Options end at {@code --} or at COMMAND's first word; {@code --name VALUE} or {@code --name=VALUE}.
 *
 * @param spec      what to run
 * @param stats     whether to print the JSON line afterwards
 * @param isolation {@code process} or {@code vm}
 * @param help      {@code -h}/{@code --help} or {@code -V}/{@code --version} was given: the helper answers it
 */
record RunOptions(SandboxSpec spec, boolean stats, String isolation, boolean help) {

    /** A bad option: the message is the helper's, without its "arrow: " and its hint. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private static final String MOUNT_LABEL = "HOST:SANDBOX[:rw|:ro]";
    private static final Set<String> FLAGS = Set.of("--stats", "--help", "--version", "-h", "-V");
    private static final Map<String, String> LABELS = labels();
    private static final Set<String> REPEATABLE = Set.of("--mount", "--env");
    private static final List<String> RESERVED = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
            "/proc", "/dev");
    private static final Pattern USER = Pattern.compile("(\\d{1,9})(?::(\\d{1,9}))?");
    private static final Pattern INT = Pattern.compile("[-+]?\\d+");

    private static Map<String, String> labels() {
        var labels = new LinkedHashMap<String, String>();
        labels.put("--memory", "SIZE");
        labels.put("--cpus", "CPUS");
        labels.put("--pids", "N");
        labels.put("--timeout", "DURATION");
        labels.put("--tmpfs-size", "SIZE");
        labels.put("--mount", MOUNT_LABEL);
        labels.put("--env", "NAME=VALUE");
        labels.put("--workdir", "DIR");
        labels.put("--network", "none|host");
        labels.put("--user", "UID[:GID]");
        labels.put("--nofile", "N");
        labels.put("--isolation", "process|vm");
        return Map.copyOf(labels);
    }

    /**
     * Whether the words (what follows "run") ask for {@code --isolation vm} before COMMAND, walked as
     * the launcher walks them: an option without {@code =} that is not a flag takes the next word.
     */
    static boolean wantsVm(List<String> words) {
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (word.equals("--") || !word.startsWith("-") || word.equals("-")) {
                return false;
            }
            if (word.equalsIgnoreCase("--isolation=vm")) {
                return true;
            }
            if (word.equals("--isolation")) {
                if (i + 1 < words.size() && words.get(i + 1).equalsIgnoreCase("vm")) {
                    return true;
                }
                i++;
            } else if (!FLAGS.contains(word) && !word.matches("-[hV]{2}") && !word.contains("=")) {
                i++;
            }
        }
        return false;
    }

    /** Reads the words that follow "run"; relative mount sources are resolved against {@code cwd}. */
    static RunOptions parse(List<String> words, Path cwd) throws UsageException {
        var seen = new HashSet<String>();
        var env = new LinkedHashMap<String, String>();
        env.put("PATH", SandboxSpec.DEFAULT_PATH);
        env.put("HOME", "/tmp");
        var mounts = new LinkedHashMap<String, Mount>();
        Limits limits = Limits.DEFAULT;
        String workdir = "/";
        NetworkPolicy network = NetworkPolicy.NONE;
        int uid = SandboxSpec.NOBODY;
        int gid = SandboxSpec.NOBODY;
        boolean stats = false;
        String isolation = "process";
        int i = 0;
        for (; i < words.size(); i++) {
            String word = words.get(i);
            if (word.equals("--")) {
                i++;
                break;
            }
            if (!word.startsWith("-") || word.equals("-")) {
                break;
            }
            if (!word.startsWith("--") && word.substring(1).chars().allMatch(c -> c == 'h' || c == 'V')) {
                return new RunOptions(null, false, isolation, true);
            }
            int eq = word.startsWith("--") ? word.indexOf('=') : -1;
            String name = eq < 0 ? word : word.substring(0, eq);
            boolean known = LABELS.containsKey(name) || FLAGS.contains(name);
            if (!known || (eq >= 0 && (name.equals("--help") || name.equals("--version")))) {
                throw new UsageException("unknown option: '" + word + "'");
            }
            if (!seen.add(name) && !REPEATABLE.contains(name)) {
                throw new UsageException(LABELS.containsKey(name)
                        ? "option '" + name + "' (" + LABELS.get(name) + ") should be specified only once"
                        : "option '" + name + "' should be specified only once");
            }
            if (name.equals("--help") || name.equals("--version")) {
                return new RunOptions(null, false, isolation, true);
            }
            if (name.equals("--stats")) {
                String value = eq < 0 ? "true" : word.substring(eq + 1);
                if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                    throw invalid(name, "'" + value + "' is not a boolean");
                }
                stats = value.equalsIgnoreCase("true");
                continue;
            }
            String value;
            if (eq >= 0) {
                value = word.substring(eq + 1);
            } else if (i + 1 < words.size()) {
                value = words.get(++i);
            } else {
                throw new UsageException("missing required parameter for option '" + name + "' (" + LABELS.get(name) + ")");
            }
            if (resemblesOption(value)) {
                throw new UsageException("expected parameter for option '" + name + "' but found '" + value + "'");
            }
            try {
                switch (name) {
                    case "--memory" -> limits = limits.withMemoryBytes(
                            within(value, Units.parseSize(value), 1L << 20, 1L << 50, "1m", "1048576g"));
                    case "--tmpfs-size" -> limits = limits.withTmpfsBytes(
                            within(value, Units.parseSize(value), 4L << 10, 1L << 40, "4k", "1024g"));
                    case "--cpus" -> limits = limits.withCpuMillis(
                            (int) within(value, Units.parseCpus(value), 10, 1_024_000, "0.01", "1024"));
                    case "--timeout" -> {
                        Duration duration = Units.parseDuration(value);
                        long millis = duration.toMillis() + (duration.toNanosPart() % 1_000_000 != 0 ? 1 : 0);
                        within(value, millis, 1, 1L << 40, "1ms", "1099511627776ms");
                        limits = limits.withWallTime(Duration.ofMillis(millis));
                    }
                    case "--pids" -> limits = limits.withPids((int) within(value, parseInt(value), 1, 4_194_304, "1", "4194304"));
                    case "--nofile" -> limits = limits.withOpenFiles(
                            (int) within(value, parseInt(value), 8, 1_048_576, "8", "1048576"));
                    case "--mount" -> {
                        Mount mount = mount(value, cwd);
                        if (mounts.putIfAbsent(mount.target(), mount) != null) {
                            throw new IllegalArgumentException("two mounts at " + mount.target());
                        }
                    }
                    case "--env" -> {
                        int split = value.indexOf('=');
                        if (split <= 0) {
                            throw new IllegalArgumentException("'" + value + "' is not NAME=VALUE");
                        }
                        env.put(value.substring(0, split), value.substring(split + 1));
                    }
                    case "--workdir" -> {
                        if (!value.startsWith("/")) {
                            throw new IllegalArgumentException("'" + value + "' is not an absolute path");
                        }
                        workdir = value;
                    }
                    case "--network" -> network = switch (value.toLowerCase(Locale.ROOT)) {
                        case "none" -> NetworkPolicy.NONE;
                        case "host" -> NetworkPolicy.HOST;
                        default -> throw new IllegalArgumentException(
                                "expected one of [NONE, HOST] (case-insensitive) but was '" + value + "'");
                    };
                    case "--user" -> {
                        var matcher = USER.matcher(value);
                        if (!matcher.matches()) {
                            throw new IllegalArgumentException("'" + value + "' is not UID[:GID], e.g. 1000 or 1000:100");
                        }
                        uid = Integer.parseInt(matcher.group(1));
                        gid = matcher.group(2) == null ? uid : Integer.parseInt(matcher.group(2));
                    }
                    case "--isolation" -> isolation = switch (value.toLowerCase(Locale.ROOT)) {
                        case "process", "vm" -> value.toLowerCase(Locale.ROOT);
                        default -> throw new IllegalArgumentException(
                                "expected one of [PROCESS, VM] (case-insensitive) but was '" + value + "'");
                    };
                    default -> throw new IllegalStateException("an option without a case: " + name);
                }
            } catch (IllegalArgumentException e) {
                throw invalid(name, e.getMessage());
            }
        }
        if (i >= words.size()) {
            throw new UsageException("missing required parameter: 'COMMAND'");
        }
        if (words.get(i).isEmpty()) {
            throw new UsageException("COMMAND must name a program, not ''");
        }
        try {
            var builder = SandboxSpec.builder(words.subList(i, words.size()))
                    .env(env).workdir(workdir).limits(limits).network(network).user(uid, gid);
            mounts.values().forEach(builder::mount);
            return new RunOptions(builder.build(), stats, isolation, false);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * What the VM tier cannot do of what was asked, as a usage error naming the option: it has no
     * network and no process limit yet, and shares directories only.
     */
    void requireVmCanHonour() throws UsageException {
        if (spec.limits().pids().isPresent()) {
            throw new UsageException("option '--pids' is not available with --isolation vm (the guest has no pids limit yet)");
        }
        for (Mount mount : spec.mounts()) {
            if (!Files.isDirectory(mount.source())) {
                throw new UsageException("option '--mount': " + mount.source()
                        + " is not a directory (the VM tier shares directories only)");
            }
        }
    }

    private static UsageException invalid(String name, String why) {
        return REPEATABLE.contains(name)
                ? new UsageException("invalid value for option '" + name + "' (" + LABELS.get(name) + "): " + why)
                : new UsageException("invalid value for option '" + name + "': " + why);
    }

    private static boolean resemblesOption(String value) {
        if (value.equals("--")) {
            return true;
        }
        int eq = value.indexOf('=');
        String name = eq < 0 ? value : value.substring(0, eq);
        return LABELS.containsKey(name) || FLAGS.contains(name);
    }

    private static long within(String text, long value, long min, long max, String minText, String maxText) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("'" + text + "' must be from " + minText + " to " + maxText);
        }
        return value;
    }

    private static long parseInt(String text) {
        long value;
        try {
            value = INT.matcher(text).matches() ? Long.parseLong(text) : Long.MIN_VALUE;
        } catch (NumberFormatException e) {
            value = Long.MIN_VALUE;
        }
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' is not an int");
        }
        return value;
    }

    private static Mount mount(String text, Path cwd) {
        String[] parts = text.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not a mount: use " + MOUNT_LABEL);
        }
        boolean writable = false;
        if (parts.length == 3) {
            if (!parts[2].equals("rw") && !parts[2].equals("ro")) {
                throw new IllegalArgumentException("mount mode '" + parts[2] + "' in '" + text + "' must be rw or ro");
            }
            writable = parts[2].equals("rw");
        }
        Path source = cwd.resolve(parts[0]).toAbsolutePath().normalize();
        String target = parts[1];
        if (!Files.exists(source)) {
            throw new IllegalArgumentException("mount source " + source + " does not exist");
        }
        if (!target.startsWith("/")) {
            throw new IllegalArgumentException("mount target '" + target + "' must be an absolute path");
        }
        if (List.of(target.split("/")).contains("..")) {
            throw new IllegalArgumentException("mount target must not contain '..': " + target);
        }
        if (target.equals("/") || List.of(target.split("/")).contains(".")) {
            throw new IllegalArgumentException("mount target '" + target + "' must be an absolute path without '.' or '..'");
        }
        for (String reserved : RESERVED) {
            if (target.equals(reserved) || target.startsWith(reserved + "/")) {
                throw new IllegalArgumentException("mount target '" + target + "' is inside a directory the sandbox reserves");
            }
        }
        if (!Files.isDirectory(source) && !Files.isRegularFile(source)) {
            throw new IllegalArgumentException("mount source '" + source + "' is neither a file nor a directory");
        }
        return new Mount(source, target, writable);
    }
}
