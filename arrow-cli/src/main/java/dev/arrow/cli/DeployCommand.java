package dev.arrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arrow.cli.client.ApiException;
import dev.arrow.cli.client.ArrowClient;
import dev.arrow.cli.client.Bundle;
import dev.arrow.cli.client.BundlePacker;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code arrow deploy}: a new revision of one or more arrows, from a manifest or from options. */
@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        customSynopsis = {
            "arrow deploy -f FILE [NODE OPTIONS]",
            "       arrow deploy [OPTIONS] NAME -- COMMAND [ARG...]"
        },
        description = {
            "Deploys arrows: each becomes its arrow's next revision and gets the traffic.",
            "With -f, every arrow of a manifest: one mapping, a YAML stream of documents separated by ---,"
                    + " or a list under 'arrows:'. Fields are the API's (name, mode, command, env, bundle, limits,"
                    + " network, scaling, runtime, handler, http, isolation; values as the API takes them, like timeout: 10s) plus code: a directory,"
                    + " .tar.gz or .zip relative to the manifest. command is a list, or a string split on spaces.",
            "Without -f, one arrow NAME running COMMAND; put -- before COMMAND so its options stay its own.",
            "A code directory is packed into a reproducible .tar.gz; archives are uploaded as they are."
        })
final class DeployCommand extends NodeCommand {

    private static final long PROGRESS_THRESHOLD = 1024 * 1024;

    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Deploy the arrows of this manifest.")
    Path file;

    @Option(names = "--code", paramLabel = "DIR|FILE.tar.gz|FILE.zip", description = "Code, mounted at /code.")
    Path code;

    @Option(names = "--env", paramLabel = "NAME=VALUE", converter = Converters.Env.class,
            description = "An environment variable of the program. Repeatable.")
    List<Converters.EnvVariable> env = new ArrayList<>();

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Memory limit: bytes or k, m, g, t (node default: 128m).")
    Long memoryBytes;

    @Option(names = "--cpus", paramLabel = "CPUS", converter = Converters.Cpus.class,
            description = "CPU quota in cores, e.g. 0.5 (node default: 1).")
    Integer cpuMillis;

    @Option(names = "--pids", paramLabel = "N", description = "Limit on processes and threads (node default: 128).")
    Integer pids;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Converters.Time.class,
            description = "Wall-time limit: ms, s, m or h; a plain number is seconds (node default: 30s).")
    Duration timeout;

    @Option(names = "--tmpfs-size", paramLabel = "SIZE", description = "Size of /tmp (node default: 64m).",
            converter = Converters.Size.class)
    Long tmpfsBytes;

    @Option(names = "--network", paramLabel = "none|host", description = "none (node default) or host.")
    Network network;

    @Option(names = "--isolation", paramLabel = "process|vm",
            description = "process: namespaces, cgroups and seccomp (default); vm: a microVM (exec mode).")
    Isolation isolation;

    @Option(names = "--concurrency", paramLabel = "N", description = "Invocations per instance (node default: 1).")
    Integer concurrency;

    @Option(names = "--min-instances", paramLabel = "N", description = "Instances kept warm (node default: 0).")
    Integer minInstances;

    @Option(names = "--max-instances", paramLabel = "N", description = "Most instances at once (node default: 10).")
    Integer maxInstances;

    @Option(names = "--mode", paramLabel = "exec|http",
            description = "exec: a fresh sandbox per invocation (default); http: a server on $PORT, kept warm.")
    Mode mode;

    @Option(names = "--runtime", paramLabel = "python3|node|shell",
            description = "Run --handler with one of Arrow's language runtimes instead of a COMMAND (http mode).")
    String runtime;

    @Option(names = "--handler", paramLabel = "HANDLER",
            description = "python3: module.function; node: file.export; shell: a script. Needs --runtime.")
    String handler;

    @Option(names = "--port", paramLabel = "PORT", description = "http mode: the port the app listens on (node default: 8080).")
    Integer port;

    @Option(names = "--readiness-path", paramLabel = "PATH",
            description = "http mode: a path that must answer before traffic is sent (default: the port accepting).")
    String readinessPath;

    @Option(names = "--start-timeout", paramLabel = "DURATION", converter = Converters.Time.class,
            description = "http mode: how long an instance may take to become ready (node default: 30s).")
    java.time.Duration startTimeout;

    @Option(names = "--keep-alive", paramLabel = "DURATION", converter = Converters.Time.class,
            description = "http mode: how long an idle instance is kept (node default: 5m).")
    java.time.Duration keepAlive;

    @Option(names = "--idempotency-key", paramLabel = "KEY", converter = Converters.IdempotencyKey.class,
            description = "Send this Idempotency-Key (per arrow): a retry with the same KEY and spec within 24 h gets"
                    + " the first deploy's answer instead of a new revision; a deploy whose connection fails is"
                    + " sent again with it.")
    String idempotencyKey;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The arrow's name.")
    String name;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "COMMAND", description = "Its program and arguments.")
    List<String> command = new ArrayList<>();

    enum Network { NONE, HOST }

    enum Mode { EXEC, HTTP }

    enum Isolation { PROCESS, VM }

    @Override
    public Integer call() throws Exception {
        List<Manifest.Deployable> deployables = file != null ? fromManifest() : List.of(fromOptions());
        CliContext context = node.context();
        try (ArrowClient client = node.client()) {
            for (Manifest.Deployable deployable : deployables) {
                String what = (file == null ? "" : deployable.source() + ": ") + deployable.name();
                ObjectNode body = deployable.spec().deepCopy();
                Optional<Bundle> bundle = Optional.empty();
                if (deployable.code().isPresent()) {
                    bundle = Optional.of(upload(client, deployable.code().get(), what, context));
                    body.put("bundle", bundle.get().digest());
                }
                JsonNode arrow;
                try {
                    arrow = client.deploy(body, idempotencyKey);
                } catch (ApiException e) {
                    throw new CliException(ExitStatus.of(e), what + ": " + ExitStatus.describe(e));
                }
                if (node.json) {
                    node.printJson(arrow);
                } else {
                    context.out().println("deployed " + arrow.path("name").asText(deployable.name()) + " revision "
                            + arrow.path("latestRevision").asText("?")
                            + bundle.map(b -> " (bundle " + Formats.shortDigest(b.digest()) + " " + b.files()
                                    + (b.files() == 1 ? " file, " : " files, ") + Formats.size(b.bytes()) + ")")
                                    .orElse(""));
                    context.out().flush();
                }
            }
        }
        return ExitStatus.OK;
    }

    private List<Manifest.Deployable> fromManifest() throws CliException {
        boolean options = code != null || !env.isEmpty() || memoryBytes != null || cpuMillis != null || pids != null
                || timeout != null || tmpfsBytes != null || network != null || concurrency != null
                || minInstances != null || maxInstances != null || isolation != null || mode != null || runtime != null || handler != null
                || port != null || readinessPath != null || startTimeout != null || keepAlive != null;
        if (name != null || options) {
            throw new ParameterException(spec.commandLine(),
                    "-f takes everything from the manifest: give either -f FILE or NAME, options and COMMAND");
        }
        return Manifest.read(file);
    }

    private Manifest.Deployable fromOptions() throws CliException {
        if (name == null) {
            throw new ParameterException(spec.commandLine(), "give -f FILE, or NAME and COMMAND, e.g."
                    + " 'arrow deploy wordcount --code . -- python3 /code/wc.py'");
        }
        if (command.isEmpty() && runtime == null) {
            throw new ParameterException(spec.commandLine(), "missing COMMAND: 'arrow deploy " + name
                    + " [OPTIONS] -- COMMAND [ARG...]', or --runtime and --handler");
        }
        ObjectNode body = ArrowClient.object().put("name", name);
        if (mode != null) {
            body.put("mode", mode.name().toLowerCase(Locale.ROOT));
        }
        if (!command.isEmpty()) {
            command.forEach(body.putArray("command")::add);
        }
        if (runtime != null) {
            body.put("runtime", runtime);
        }
        if (handler != null) {
            body.put("handler", handler);
        }
        ObjectNode http = ArrowClient.object();
        if (port != null) {
            http.put("port", port);
        }
        if (readinessPath != null) {
            http.put("readinessPath", readinessPath);
        }
        if (startTimeout != null) {
            http.put("startTimeout", startTimeout.toMillis());
        }
        if (!http.isEmpty()) {
            body.set("http", http);
        }
        if (!env.isEmpty()) {
            ObjectNode variables = body.putObject("env");
            env.forEach(variable -> variables.put(variable.name(), variable.value()));
        }
        ObjectNode limits = ArrowClient.object();
        if (memoryBytes != null) {
            limits.put("memory", memoryBytes);
        }
        if (cpuMillis != null) {
            limits.put("cpus", BigDecimal.valueOf(cpuMillis, 3).stripTrailingZeros());
        }
        if (pids != null) {
            limits.put("pids", pids);
        }
        if (timeout != null) {
            limits.put("timeout", timeout.toMillis());
        }
        if (tmpfsBytes != null) {
            limits.put("tmpfs", tmpfsBytes);
        }
        if (!limits.isEmpty()) {
            body.set("limits", limits);
        }
        if (network != null) {
            body.put("network", network.name().toLowerCase(Locale.ROOT));
        }
        if (isolation != null) {
            body.put("isolation", isolation.name().toLowerCase(Locale.ROOT));
        }
        ObjectNode scaling = ArrowClient.object();
        if (concurrency != null) {
            scaling.put("concurrency", concurrency);
        }
        if (minInstances != null) {
            scaling.put("minInstances", minInstances);
        }
        if (maxInstances != null) {
            scaling.put("maxInstances", maxInstances);
        }
        if (keepAlive != null) {
            scaling.put("keepAlive", keepAlive.toMillis());
        }
        if (!scaling.isEmpty()) {
            body.set("scaling", scaling);
        }
        if (code != null && !Files.exists(code)) {
            throw CliException.usage("--code " + code + " does not exist");
        }
        return new Manifest.Deployable("command line", body, Optional.ofNullable(code).map(Path::toAbsolutePath));
    }

    /** Packs a directory if need be, and uploads. */
    private static Bundle upload(ArrowClient client, Path code, String what, CliContext context) throws Exception {
        if (Files.isDirectory(code)) {
            Path packed = Files.createTempFile("arrow-bundle-", ".tar.gz");
            try {
                try {
                    BundlePacker.pack(code, packed);
                } catch (IOException e) {
                    throw CliException.usage(what + ": cannot pack " + code + ": " + e.getMessage());
                }
                return upload(client, packed, ArrowClient.GZIP, what, context);
            } finally {
                Files.deleteIfExists(packed);
            }
        }
        String fileName = code.getFileName().toString().toLowerCase(Locale.ROOT);
        if (fileName.endsWith(".tar.gz") || fileName.endsWith(".tgz")) {
            return upload(client, code, ArrowClient.GZIP, what, context);
        }
        if (fileName.endsWith(".zip")) {
            return upload(client, code, ArrowClient.ZIP, what, context);
        }
        throw CliException.usage(what + ": code " + code + " must be a directory, a .tar.gz or a .zip");
    }

    private static Bundle upload(ArrowClient client, Path archive, String type, String what, CliContext context)
            throws Exception {
        long size = Files.size(archive);
        boolean showProgress = context.errIsTerminal() && size > PROGRESS_THRESHOLD;
        try (var bar = new ProgressBar(context.err(), "uploading " + what, size)) {
            return client.uploadBundle(archive, type, showProgress ? bar::update : null);
        } catch (ApiException e) {
            throw new CliException(ExitStatus.of(e), what + ": upload of the code failed: " + ExitStatus.describe(e));
        }
    }
}
