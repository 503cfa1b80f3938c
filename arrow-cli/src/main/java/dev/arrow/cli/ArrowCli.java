package dev.arrow.cli;

import dev.arrow.cli.client.ApiException;
import dev.arrow.cli.client.NodeUnreachableException;
import dev.arrow.sandbox.SandboxException;
import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/** The {@code arrow} command. */
@Command(
        name = "arrow",
        mixinStandardHelpOptions = true,
        versionProvider = ArrowCli.Version.class,
        description = "Arrow runs single Linux programs on demand, each in its own sandbox.",
        footer = {"%nIn a source tree, './arrow bench' also measures Arrow against its peers on this machine."})
public final class ArrowCli implements Callable<Integer> {

    /**
     * The subcommands, by name, in the order the help lists them. Picocli builds a command's model
     * from its annotations by reflection, a visible cost per command while the JVM starts: a command
     * line that names one gets only that one ({@code arrow bench cli} times the whole command).
     */
    private static final Map<String, Supplier<Object>> COMMANDS = commands();

    private static Map<String, Supplier<Object>> commands() {
        var commands = new LinkedHashMap<String, Supplier<Object>>();
        commands.put("run", RunCommand::new);
        commands.put("serve", ServeCommand::new);
        commands.put("deploy", DeployCommand::new);
        commands.put("invoke", InvokeCommand::new);
        commands.put("ls", ListCommand::new);
        commands.put("inspect", InspectCommand::new);
        commands.put("rm", RemoveCommand::new);
        commands.put("rollback", RollbackCommand::new);
        commands.put("invocations", InvocationsCommand::new);
        commands.put("logs", LogsCommand::new);
        commands.put("kv", KvCommand::new);
        commands.put("queue", QueueCommand::new);
        commands.put("keys", KeysCommand::new);
        commands.put("bucket", BucketCommand::new);
        commands.put("events", EventsCommand::new);
        commands.put("triggers", TriggersCommand::new);
        commands.put("flow", FlowCommand::new);
        return Collections.unmodifiableMap(commands);
    }

    /** What arrow exits with when it, rather than the program, failed: the helper's convention. */
    static final int USAGE_ERROR = 125;

    /** The commands that talk to a node; they share options and the exit statuses of {@link ExitStatus}. */
    private static final List<String> NODE_COMMANDS =
            List.of("deploy", "invoke", "ls", "inspect", "rm", "rollback", "invocations", "logs", "kv", "queue", "keys",
                    "bucket", "events", "triggers", "flow");

    @Spec
    CommandSpec spec;

    /** Streams, environment and clock of the node commands. */
    final CliContext context;

    ArrowCli() {
        this(CliContext.system());
    }

    ArrowCli(CliContext context) {
        this.context = context;
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("run")) {
            // The helper (or, for a VM, RunOptions) reads run's options: no picocli model is built for it.
            int status;
            try {
                status = RunCommand.runOrRunVm(List.of(args).subList(1, args.length));
            } catch (InterruptedException e) {
                status = USAGE_ERROR;
            }
            System.exit(status);
        }
        System.exit(commandLine(CliContext.system(), args).execute(args));
    }

    /**
     * Runs {@code arrow ARGS...} in this JVM with the given streams and environment, as tests and
     * embedders need, and answers the exit status; never calls System.exit.
     */
    public static int run(CliContext context, String... args) {
        CommandLine cli = commandLine(context, args);
        cli.setOut(new PrintWriter(context.out(), true));
        cli.setErr(new PrintWriter(context.err(), true));
        try {
            return cli.execute(args);
        } finally {
            context.out().flush();
            context.err().flush();
        }
    }

    /** The whole command tree. */
    static CommandLine commandLine() {
        return commandLine(CliContext.system());
    }

    static CommandLine commandLine(CliContext context, String... args) {
        CommandLine cli = new CommandLine(new ArrowCli(context));
        // Options of the root (--help, --version) or a mistyped name need them all, for the help.
        var named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        if (named != null) {
            cli.addSubcommand(args[0], named.get());
            // A switch, not a map: only the named group's class is loaded.
            Map<String, Supplier<Object>> group = switch (args[0]) {
                case "kv" -> KvCommand.SUBCOMMANDS;
                case "queue" -> QueueCommand.SUBCOMMANDS;
                case "keys" -> KeysCommand.SUBCOMMANDS;
                case "bucket" -> BucketCommand.SUBCOMMANDS;
                case "events" -> EventsCommand.SUBCOMMANDS;
                case "flow" -> FlowCommand.SUBCOMMANDS;
                default -> null;
            };
            if (group != null) {
                addSubcommands(cli.getSubcommands().get(args[0]), group, args.length > 1 ? args[1] : null);
            }
        } else {
            COMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
        }
        cli
                .setCaseInsensitiveEnumValuesAllowed(true)
                // "@FILE" is data ("arrow invoke x --data @in.json", "arrow run -- curl -d @x"), not picocli's
                // argument file.
                .setExpandAtFiles(false)
                .setParameterExceptionHandler(ArrowCli::usageError)
                .setExecutionExceptionHandler(ArrowCli::executionError);
        cli.getSubcommands().forEach((name, sub) -> {
            if (NODE_COMMANDS.contains(name)) {
                sub.getCommandSpec().usageMessage().footerHeading(ExitStatus.HEADING).footer(ExitStatus.FOOTER);
            }
        });
        return cli;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "no command given, e.g. 'arrow run -- echo hello'");
    }

    /**
     * Adds the subcommand {@code name} of a command group ({@code kv}, {@code queue}, {@code keys}),
     * or all of them when it is none of theirs (help, a typo): as for the top-level commands, a
     * command line that names one builds only its model.
     */
    static void addSubcommands(CommandLine group, Map<String, Supplier<Object>> subcommands, String name) {
        Supplier<Object> named = name == null ? null : subcommands.get(name);
        if (named != null) {
            group.addSubcommand(name, named.get());
        } else {
            subcommands.forEach((each, command) -> group.addSubcommand(each, command.get()));
        }
        group.getSubcommands().values().forEach(sub ->
                sub.getCommandSpec().usageMessage().footerHeading(ExitStatus.HEADING).footer(ExitStatus.FOOTER));
    }

    /** One line saying what was wrong and one pointing at the help; never a stack trace. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println("arrow: " + decapitalize(firstProblem(e).getMessage()));
        err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return USAGE_ERROR;
    }

    /**
     * Picocli checks for missing parameters before it complains about unknown options, but
     * "arrow run --bogus" is better answered with "unknown option: '--bogus'".
     */
    private static ParameterException firstProblem(ParameterException e) {
        List<String> unmatched = e.getCommandLine().getUnmatchedArguments();
        if (e instanceof MissingParameterException && !unmatched.isEmpty()) {
            return new UnmatchedArgumentException(e.getCommandLine(), unmatched);
        }
        return e;
    }

    private static int executionError(Exception e, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        int status = USAGE_ERROR;
        switch (e) {
            case CliException failed -> {
                err.println("arrow: " + failed.getMessage());
                status = failed.status();
            }
            case ApiException refused -> {
                err.println("arrow: " + ExitStatus.describe(refused));
                status = ExitStatus.of(refused);
            }
            case NodeUnreachableException unreachable -> err.println("arrow: " + unreachable.getMessage());
            case SandboxException cannotStart -> err.println("arrow: " + cannotStart.getMessage());
            case ProcessFailedException failed -> err.println("arrow: " + failed.getMessage());
            // Options that parsed but make an invalid spec together, e.g. a negative --pids.
            case IllegalArgumentException invalid -> {
                err.println("arrow: " + invalid.getMessage());
                err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
            }
            default -> err.println("arrow: internal error: " + e);
        }
        err.flush();
        return status;
    }

    // Picocli's messages start with a capital; after "arrow: " a lower-case word reads as one sentence.
    private static String decapitalize(String message) {
        if (message.length() > 1 && Character.isUpperCase(message.charAt(0))
                && Character.isLowerCase(message.charAt(1))) {
            return message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
        }
        return message;
    }

    /** The version in the fat jar's manifest; classes run from target/classes have none. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = ArrowCli.class.getPackage().getImplementationVersion();
            return new String[] {
                "arrow " + (version == null ? "(development build)" : version),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
            };
        }
    }
}
