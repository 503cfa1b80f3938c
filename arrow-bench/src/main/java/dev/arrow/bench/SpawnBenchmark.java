package dev.arrow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.sandbox.NativeProgram;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Sandboxes;
import dev.arrow.sandbox.Stdio;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code arrow bench spawn}: how long it takes to run {@code /bin/true} in a fresh sandbox, next
 * to a plain fork+exec and the sandboxes of peers, all measured in one run on this machine.
 */
@Command(
        name = "spawn",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Times /bin/true run N times each way: plain fork+exec, unshare, Arrow's helper, Arrow's"
                    + " sandbox API cold and from a pool of prewarmed sandboxes, and bwrap and runc when"
                    + " installed. The ways take turns in random order, so that drift on the machine affects"
                    + " all of them alike. The whole CLI through ./arrow (no JVM: it execs the helper) takes"
                    + " its turns too, when this runs from a source tree.",
            "The ratio columns are each median over unshare's (the design's budget: Arrow within 1.3x)"
                    + " and over fork+exec's (a prewarmed sandbox: under 1 ms added)."
        })
final class SpawnBenchmark implements Callable<Integer> {

    private static final String BASELINE = "unshare";
    private static final String FORK_EXEC = "fork+exec";
    private static final String PREWARMED = "arrow sandbox API, prewarmed";
    private static final int POOL = 4;
    private static final long POOL_WAIT_MILLIS = 10_000;
    private static final String CLI_WAY = "arrow run (CLI, ./arrow)";
    private static final long RANDOM_SEED = 42; // the same orders every run, so runs compare

    @Spec
    CommandSpec spec;

    @Option(names = "--isolation", paramLabel = "TIER", defaultValue = "process",
            description = "process (default): the ways above; vm: the VM tier cold and restored, the process"
                    + " tier prewarmed and plain qemu, each to its first output, and an idle VM's memory.")
    Isolation isolation;

    enum Isolation { process, vm }

    @Option(names = "-n", paramLabel = "N",
            description = "Measured runs of each way (default: 200; 5 with --isolation vm, a VM boot takes seconds under TCG).")
    Integer runsOption;

    @Option(names = "--warmup", paramLabel = "W",
            description = "Unmeasured runs of each way first (default: 20; 1 with --isolation vm).")
    Integer warmupOption;

    int runs;
    int warmup;

    @Option(names = "--json", description = "Print the results as JSON instead of a table.")
    boolean json;

    /** One way of running /bin/true; {@code settle} runs after each measured run, unmeasured. */
    private record Way(String name, Trial trial, Trial settle) {
        Way(String name, Trial trial) {
            this(name, trial, () -> { });
        }
    }

    @FunctionalInterface
    private interface Trial {
        void run() throws Exception;
    }

    private record Measured(String way, Timings timings) {
    }

    private record Skipped(String way, String reason) {
    }

    @Override
    public Integer call() throws Exception {
        boolean vm = isolation == Isolation.vm;
        runs = runsOption != null ? runsOption : vm ? 5 : 200;
        warmup = warmupOption != null ? warmupOption : vm ? 1 : 20;
        if (runs < 1 || warmup < 0) {
            throw new ParameterException(spec.commandLine(), "-n must be at least 1 and --warmup at least 0");
        }
        if (vm) {
            VmBenchReport report = new VmSpawnBenchmark(runs, warmup).measure();
            System.out.print(json ? report.json() : report.table());
            return 0;
        }
        var skipped = new ArrayList<Skipped>();
        var ways = new ArrayList<Way>();
        ways.add(new Way(FORK_EXEC, () -> Processes.run(List.of("/bin/true"))));
        ways.add(new Way(BASELINE, () -> Processes.run(List.of("unshare", "-fpmuin", "--mount-proc", "/bin/true"))));
        addArrowWays(ways, skipped);
        Processes.onPath("bwrap").ifPresentOrElse(
                bwrap -> ways.add(new Way("bwrap", () -> Processes.run(List.of(bwrap.toString(),
                        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                        "--unshare-all", "--die-with-parent", "/bin/true")))),
                () -> skipped.add(new Skipped("bwrap", "not installed")));
        addCliWay(ways, skipped);

        Optional<RuncBundle> runcBundle = addRuncWay(ways, skipped);
        List<Measured> results;
        try {
            List<Way> working = probe(ways, skipped);
            System.err.printf(Locale.ROOT, "arrow bench spawn: %d ways, %d warm-up and %d measured runs each%n",
                    working.size(), warmup, runs);
            results = new ArrayList<>(measureInTurns(working));
        } finally {
            if (runcBundle.isPresent()) {
                runcBundle.get().close();
            }
        }

        if (coldStarts.get() > 0) {
            skipped.add(new Skipped(PREWARMED, coldStarts.get() + " of its runs found no prewarmed sandbox ready"));
        }
        System.out.print(json ? json(results, skipped) : table(results, skipped));
        return 0;
    }

    /** Runs of the prewarmed way that started cold after all: they make its row meaningless. */
    private final AtomicInteger coldStarts = new AtomicInteger();

    private void addArrowWays(List<Way> ways, List<Skipped> skipped) {
        SandboxSpec trueSpec = SandboxSpec.builder("/bin/true").build();
        try {
            // The helper's run mode: the sandbox `arrow run` makes, with no launcher in front.
            Path helper = NativeProgram.SANDBOX_HELPER.locate();
            ways.add(new Way("arrow helper", () -> Processes.run(List.of(helper.toString(), "run", "--", "/bin/true"))));
        } catch (NoSuchFileException e) {
            skipped.add(new Skipped("arrow helper", e.getMessage()));
        }
        SandboxDriver driver = Sandboxes.processDriver();
        ways.add(new Way("arrow sandbox API", () -> {
            try (Sandbox sandbox = driver.start(trueSpec, Stdio.DISCARD)) {
                Outcome outcome = sandbox.waitFor().outcome();
                if (outcome.exitStatus() != 0) {
                    throw new ProcessFailedException("the sandbox ended with " + outcome);
                }
            }
        }));
        // A driver of its own: the pool refills after each run, unmeasured, so that no other way
        // runs beside a sandbox being prewarmed and every run finds one ready.
        SandboxDriver prewarmed = Sandboxes.newProcessDriver();
        prewarmed.prewarm(POOL);
        ways.add(new Way(PREWARMED, () -> {
            try (Sandbox sandbox = prewarmed.start(trueSpec, Stdio.DISCARD)) {
                SandboxResult result = sandbox.waitFor();
                if (result.outcome().exitStatus() != 0) {
                    throw new ProcessFailedException("the sandbox ended with " + result.outcome());
                }
                if (!result.prewarmed()) {
                    coldStarts.incrementAndGet();
                }
            }
        }, () -> awaitPool(prewarmed)));
    }

    private static void awaitPool(SandboxDriver driver) throws InterruptedException {
        long deadline = System.nanoTime() + POOL_WAIT_MILLIS * 1_000_000;
        while (driver.prewarmStats().ready() < POOL && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** Adds runc with a bundle made for the purpose, when runc is installed and can run one here. */
    private static Optional<RuncBundle> addRuncWay(List<Way> ways, List<Skipped> skipped) throws IOException {
        Optional<Path> runc = Processes.onPath("runc");
        if (runc.isEmpty()) {
            skipped.add(new Skipped("runc", "not installed"));
            return Optional.empty();
        }
        if (!((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).equals(0)) {
            skipped.add(new Skipped("runc", "needs root for its bundle"));
            return Optional.empty();
        }
        try {
            RuncBundle bundle = RuncBundle.create(runc.get());
            String containerPrefix = "arrow-bench-" + ProcessHandle.current().pid() + "-";
            var containers = new int[1]; // runc wants a new container id for every run
            ways.add(new Way("runc", () -> Processes.run(
                    bundle.runArgv(runc.get(), containerPrefix + containers[0]++))));
            return Optional.of(bundle);
        } catch (ProcessFailedException | InterruptedException | IOException e) {
            skipped.add(new Skipped("runc", "cannot make a bundle: " + e.getMessage()));
            return Optional.empty();
        }
    }

    /** Runs each way once; those that fail are skipped with the reason, rather than failing it all. */
    private static List<Way> probe(List<Way> ways, List<Skipped> skipped) {
        var working = new ArrayList<Way>();
        for (Way way : ways) {
            try {
                way.trial().run();
                way.settle().run();
                working.add(way);
            } catch (Exception e) {
                skipped.add(new Skipped(way.name(), e.getMessage()));
            }
        }
        return working;
    }

    /**
     * Each round runs every way once, in a new random order: a way's time also depends on what ran
     * just before it (the kernel tears namespaces down in the background), so no way may always
     * follow the same one.
     */
    private List<Measured> measureInTurns(List<Way> ways) throws ProcessFailedException {
        var nanos = new long[ways.size()][runs];
        var order = new ArrayList<Integer>();
        for (int index = 0; index < ways.size(); index++) {
            order.add(index);
        }
        var random = new Random(RANDOM_SEED);
        for (int round = 0; round < warmup + runs; round++) {
            if (round == warmup) {
                coldStarts.set(0); // only measured runs count
            }
            Collections.shuffle(order, random);
            for (int index : order) {
                long elapsed = time(ways.get(index));
                if (round >= warmup) {
                    nanos[index][round - warmup] = elapsed;
                }
                settle(ways.get(index));
            }
        }
        var results = new ArrayList<Measured>();
        for (int index = 0; index < ways.size(); index++) {
            results.add(new Measured(ways.get(index).name(), new Timings(nanos[index])));
        }
        return results;
    }

    /** The whole CLI through ./arrow, as a user runs it; its first run (the probe) lets it rebuild. */
    private static void addCliWay(List<Way> ways, List<Skipped> skipped) {
        Optional<Path> launcher = findLauncher();
        if (launcher.isEmpty()) {
            skipped.add(new Skipped(CLI_WAY, "no ./arrow launcher above " + codeLocation().orElse(null)));
            return;
        }
        ways.add(new Way(CLI_WAY, () -> Processes.run(List.of(launcher.get().toString(), "run", "--", "/bin/true"))));
    }

    private static void settle(Way way) throws ProcessFailedException {
        try {
            way.settle().run();
        } catch (Exception e) {
            throw new ProcessFailedException(way.name() + " failed after being measured: " + e.getMessage());
        }
    }

    private static long time(Way way) throws ProcessFailedException {
        long start = System.nanoTime();
        try {
            way.trial().run();
        } catch (Exception e) {
            throw new ProcessFailedException(way.name() + " failed while being measured: " + e.getMessage());
        }
        return System.nanoTime() - start;
    }

    private static String table(List<Measured> results, List<Skipped> skipped) {
        Optional<Double> baseline = medianOf(results, BASELINE);
        Optional<Double> forkExec = medianOf(results, FORK_EXEC);
        var table = new StringBuilder(String.format(Locale.ROOT, "%-28s %5s %10s %9s %11s %13s%n",
                "way", "n", "median ms", "p99 ms", "vs " + BASELINE, "vs " + FORK_EXEC));
        for (Measured result : results) {
            Timings timings = result.timings();
            table.append(String.format(Locale.ROOT, "%-28s %5d %10.3f %9.3f %11s %13s%n",
                    result.way(), timings.count(), timings.medianMillis(), timings.p99Millis(),
                    ratio(timings, baseline), ratio(timings, forkExec)));
        }
        Optional<Double> prewarmed = medianOf(results, PREWARMED);
        if (prewarmed.isPresent() && forkExec.isPresent()) {
            table.append(String.format(Locale.ROOT, "%s: %+.3f ms over %s (the design's budget: under 1 ms)%n",
                    PREWARMED, prewarmed.get() - forkExec.get(), FORK_EXEC));
        }
        Optional<Double> cli = medianOf(results, CLI_WAY);
        Optional<Double> bwrap = medianOf(results, "bwrap");
        if (cli.isPresent() && bwrap.isPresent()) {
            table.append(String.format(Locale.ROOT, "%s: %.2fx of bwrap (the design's budget: within 1.5x)%n",
                    CLI_WAY, cli.get() / bwrap.get()));
        }
        for (Skipped skip : skipped) {
            table.append(skip.way()).append(": skipped (").append(skip.reason()).append(")\n");
        }
        return table.toString();
    }

    private static String ratio(Timings timings, Optional<Double> base) {
        return base.map(median -> String.format(Locale.ROOT, "%.2fx", timings.medianMillis() / median)).orElse("-");
    }

    private String json(List<Measured> results, List<Skipped> skipped) throws IOException {
        Optional<Double> baseline = medianOf(results, BASELINE);
        Optional<Double> forkExec = medianOf(results, FORK_EXEC);
        var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode().put("runs", runs).put("warmup", warmup);
        ArrayNode measured = root.putArray("results");
        for (Measured result : results) {
            Timings timings = result.timings();
            ObjectNode row = measured.addObject()
                    .put("way", result.way())
                    .put("n", timings.count())
                    .put("medianMs", threeDecimals(timings.medianMillis()))
                    .put("p99Ms", threeDecimals(timings.p99Millis()));
            baseline.ifPresentOrElse(
                    median -> row.put("ratioToUnshare", threeDecimals(timings.medianMillis() / median)),
                    () -> row.putNull("ratioToUnshare"));
            forkExec.ifPresentOrElse(
                    median -> row.put("ratioToForkExec", threeDecimals(timings.medianMillis() / median)),
                    () -> row.putNull("ratioToForkExec"));
        }
        ArrayNode notMeasured = root.putArray("skipped");
        skipped.forEach(skip -> notMeasured.addObject().put("way", skip.way()).put("reason", skip.reason()));
        return mapper.writeValueAsString(root) + "\n";
    }

    private static Optional<Double> medianOf(List<Measured> results, String way) {
        return results.stream()
                .filter(result -> result.way().equals(way))
                .map(result -> result.timings().medianMillis())
                .findFirst();
    }

    private static BigDecimal threeDecimals(double value) {
        return BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_UP);
    }

    /** The repository's ./arrow: an executable "arrow" beside a pom.xml above this code's jar. */
    static Optional<Path> findLauncher() {
        for (Path dir = codeLocation().orElse(null); dir != null; dir = dir.getParent()) {
            Path launcher = dir.resolve("arrow");
            boolean sourceTree = Files.isRegularFile(dir.resolve("pom.xml"));
            if (sourceTree && Files.isRegularFile(launcher) && Files.isExecutable(launcher)) {
                return Optional.of(launcher);
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> codeLocation() {
        try {
            CodeSource source = SpawnBenchmark.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (Exception e) { // unusual class loaders: no launcher to find
            return Optional.empty();
        }
    }
}
