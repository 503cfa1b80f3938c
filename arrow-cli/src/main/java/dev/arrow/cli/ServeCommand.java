package dev.arrow.cli;

import dev.arrow.flows.execution.FlowSettings;
import dev.arrow.platform.invocations.DispatchSettings;
import dev.arrow.sandbox.Units;
import dev.arrow.server.Node;
import dev.arrow.server.NodeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code arrow serve}: the node daemon, in the foreground until SIGINT or SIGTERM. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Runs an Arrow node: the REST API (docs/api.md) with its state in an embedded SQLite database"
                    + " and a bundle directory under --home. Stops on Ctrl-C or SIGTERM, letting running"
                    + " invocations finish first; accepted async invocations are resumed at the next start.",
            "The first start writes an admin token to HOME/token (mode 0600); the other commands read it."
        })
final class ServeCommand implements Callable<Integer> {

    /** The smallest heap --memory takes (./arrow keeps to its default below it). */
    static final long MIN_HEAP_BYTES = 64L << 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "${env:ARROW_LISTEN:-127.0.0.1:7070}",
            description = "Address to listen on (env ARROW_LISTEN; default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--s3-listen", paramLabel = "HOST:PORT|off", defaultValue = "${env:ARROW_S3_LISTEN:-127.0.0.1:7072}",
            description = "Address of the S3-compatible listener, or off (env ARROW_S3_LISTEN; default: ${DEFAULT-VALUE}).")
    String s3Listen;

    @Option(names = "--home", paramLabel = "DIR",
            description = "State directory (env ARROW_HOME; default: ~/.arrow).")
    Path home;

    @Option(names = "--max-concurrent", paramLabel = "N",
            description = "Sandboxes running at once (default: ${DEFAULT-VALUE}).", defaultValue = "32")
    int maxConcurrent;

    @Option(names = "--prewarm", paramLabel = "N", defaultValue = "${env:ARROW_PREWARM:-4}",
            description = "Sandboxes kept prewarmed for cold starts, 0 to 64; each costs two idle processes"
                    + " and a few MiB, shown in /metrics as arrow_prewarm_* (env ARROW_PREWARM; default: ${DEFAULT-VALUE}).")
    int prewarm;

    @Option(names = "--vm-prewarm", paramLabel = "N", defaultValue = "${env:ARROW_VM_PREWARM:-0}",
            description = "Restored VMs kept waiting for isolation: vm arrows, 0 to 16; each holds a qemu and its"
                    + " guest's touched memory, shown in /metrics as arrow_vm_prewarm_* (env ARROW_VM_PREWARM;"
                    + " default: ${DEFAULT-VALUE}).")
    int vmPrewarm;

    // The JVM's heap is fixed before this code runs: ./arrow reads this option and gives the JVM
    // its -Xmx; here it is only checked and reported.
    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "The node's heap limit, bytes or k, m, g, t (default: a quarter of the machine's memory,"
                    + " at most 512m). Applied by ./arrow when it starts the node's JVM.")
    Long memoryBytes;

    @Option(names = "--flow-retention", paramLabel = "DURATION", defaultValue = "30d",
            description = "How long a finished flow run is kept before it is purged: d, h, m, s or ms"
                    + " (default: ${DEFAULT-VALUE}).")
    String flowRetention;

    // The launcher's start-up cache is recorded from this run: the classes a node loads and the
    // methods it runs while it starts, deploys and invokes are the ones a real start needs.
    @Option(names = "--training-run", hidden = true,
            description = "Start a node in a temporary home, deploy and invoke one arrow through the API, stop.")
    boolean trainingRun;

    @Override
    public Integer call() throws Exception {
        // One line per record, ISO time first: the JDK default spreads each record over two lines.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s: %5$s%6$s%n");
        }
        NodeConfig config = NodeConfig.defaults();
        NodeConfig.Listen api = address("--listen", listen);
        String host = api.host();
        int port = api.port();
        Optional<NodeConfig.Listen> s3 = s3Listen.strip().equalsIgnoreCase("off") ? Optional.empty()
                : Optional.of(address("--s3-listen", s3Listen));
        if (maxConcurrent < 1) {
            throw new ParameterException(spec.commandLine(), "--max-concurrent must be at least 1");
        }
        if (memoryBytes != null && memoryBytes < MIN_HEAP_BYTES) {
            throw new ParameterException(spec.commandLine(), "--memory must be at least 64m: the node's own work needs it");
        }
        if (prewarm < 0 || prewarm > NodeConfig.MAX_PREWARM) {
            throw new ParameterException(spec.commandLine(), "--prewarm must be between 0 and " + NodeConfig.MAX_PREWARM);
        }
        if (vmPrewarm < 0 || vmPrewarm > NodeConfig.MAX_VM_PREWARM) {
            throw new ParameterException(spec.commandLine(), "--vm-prewarm must be between 0 and " + NodeConfig.MAX_VM_PREWARM);
        }
        DispatchSettings dispatch = DispatchSettings.DEFAULT.withConcurrency(maxConcurrent, Math.max(1, maxConcurrent / 2));
        config = config.withListen(host, port).withDispatch(dispatch).withPrewarm(prewarm).withVmPrewarm(vmPrewarm)
                .withS3Listen(s3);
        if (home != null) {
            config = config.withHome(home.toAbsolutePath());
        }
        FlowSettings flows = FlowSettings.defaults().withRetention(retention(flowRetention));
        if (trainingRun) {
            CompilerThreads.restoreNormalPriority(); // it records the JIT's profiles: at full speed
            return TrainingRun.run(config);
        }
        Node node;
        try {
            node = Node.start(config, flows);
        } catch (IOException e) {
            throw new ProcessFailedException("cannot start the node: " + e.getMessage());
        } finally {
            CompilerThreads.restoreNormalPriority(); // lowered by the launcher for the start
        }
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("arrow-shutdown").unstarted(() -> {
            node.close();
            stopped.countDown();
        }));
        long heap = Runtime.getRuntime().maxMemory();
        spec.commandLine().getErr().printf("arrow: node listening on %s (state in %s, heap limit %d MiB)%n", node.uri(),
                node.home(), heap >> 20);
        node.s3Uri().ifPresent(uri -> spec.commandLine().getErr().printf("arrow: S3 listening on %s%n", uri));
        // Runtime.maxMemory leaves out a survivor space: a limit within a tenth of --memory is the one asked for.
        if (memoryBytes != null && Math.abs(heap - memoryBytes) > memoryBytes / 10) {
            spec.commandLine().getErr().printf("arrow: --memory applies when ./arrow starts the node's JVM;"
                    + " this JVM's heap limit is %d MiB%n", heap >> 20);
        }
        spec.commandLine().getErr().flush();
        node.join();
        stopped.await();
        return 0;
    }

    /** A whole number of days ({@code 30d}), or a duration as the other options take it. */
    private Duration retention(String value) {
        String text = value.strip();
        try {
            Duration keep = text.endsWith("d") ? Duration.ofDays(Long.parseLong(text.substring(0, text.length() - 1).strip()))
                    : Units.parseDuration(text);
            if (keep.isNegative() || keep.isZero()) {
                throw new IllegalArgumentException("it must be more than zero");
            }
            return keep;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ParameterException(spec.commandLine(), "--flow-retention: '" + value + "' is not a duration like 30d,"
                    + " 12h or 90m" + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
        }
    }

    /** HOST:PORT of an option, [v6]:PORT too. */
    private NodeConfig.Listen address(String option, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new ParameterException(spec.commandLine(), option + " must be HOST:PORT, not '" + value + "'");
        }
        String host = value.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), option + " must end with a port number, not '" + value + "'");
        }
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), option + " port must be between 0 and 65535");
        }
        return new NodeConfig.Listen(host, port);
    }
}
