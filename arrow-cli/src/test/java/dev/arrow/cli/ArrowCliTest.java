package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Usage errors: one "arrow: ..." line and a hint, status 125, never a stack trace. {@code arrow run}'s
 * own are the helper's (RunOptionsIT).
 */
class ArrowCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int arrow(String... args) {
        CommandLine cli = ArrowCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void aNodeHeapBelowItsFloorIsRefusedBeforeAnythingStarts() {
        assertThat(arrow("serve", "--memory", "16m")).isEqualTo(125);
        assertThat(err.toString()).startsWith("arrow: --memory must be at least 64m");
    }

    @Test
    void badSize() {
        assertThat(arrow("deploy", "x", "--memory", "12x", "--", "true")).isEqualTo(125);
        assertThat(err.toString()).isEqualTo("""
                arrow: invalid value for option '--memory': '12x' is not a size: use bytes, or a number with k, m, g or t, e.g. 128m (binary: 128m is 128 MiB)
                Try 'arrow deploy --help' for more information.
                """);
    }

    @Test
    void unknownOption() {
        assertThat(arrow("deploy", "--memroy", "1m", "x", "--", "true")).isEqualTo(125);
        assertThat(err.toString()).startsWith("arrow: unknown option: '--memroy'\n")
                .endsWith("Try 'arrow deploy --help' for more information.\n");
    }

    @Test
    void badServeOptions() {
        assertThat(arrow("serve", "--prewarm", "65")).isEqualTo(125);
        assertThat(arrow("serve", "--prewarm", "-1")).isEqualTo(125);
        assertThat(arrow("serve", "--listen", "nowhere")).isEqualTo(125);
        assertThat(arrow("serve", "--s3-listen", "nowhere")).isEqualTo(125);
        assertThat(arrow("serve", "--s3-listen", "127.0.0.1:70000")).isEqualTo(125);
        assertThat(arrow("serve", "--flow-retention", "forever")).isEqualTo(125);
        assertThat(arrow("serve", "--flow-retention", "0d")).isEqualTo(125);
        assertThat(err.toString()).contains("arrow: --prewarm must be between 0 and 64\n")
                .contains("arrow: --listen must be HOST:PORT, not 'nowhere'\n")
                .contains("arrow: --flow-retention: 'forever' is not a duration like 30d")
                .contains("arrow: --flow-retention: '0d' is not a duration like 30d")
                .doesNotContain("Exception");
    }

    @Test
    void badDurationAndEnv() {
        assertThat(arrow("deploy", "x", "--timeout", "soon", "--", "true")).isEqualTo(125);
        assertThat(arrow("deploy", "x", "--env", "NOVALUE", "--", "true")).isEqualTo(125);
        assertThat(err.toString())
                .contains("arrow: invalid value for option '--timeout': 'soon' is not a duration")
                .contains("arrow: invalid value for option '--env' (NAME=VALUE): 'NOVALUE' is not NAME=VALUE")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    @Test
    void noSubcommand() {
        assertThat(arrow()).isEqualTo(125);
        assertThat(err.toString()).startsWith("arrow: no command given");
    }

    @Test
    void helpAndVersionSucceed() {
        assertThat(arrow("--help")).isZero();
        assertThat(out.toString()).contains("run").contains("bench");
        assertThat(arrow("--version")).isZero();
        assertThat(out.toString()).contains("arrow ");
    }

    @Test
    void aCommandLineThatNamesACommandBuildsOnlyThatOne() {
        assertThat(ArrowCli.commandLine(CliContext.system(), "serve", "--help").getSubcommands()).containsOnlyKeys("serve");
        assertThat(ArrowCli.commandLine(CliContext.system(), "run", "--", "ls").getSubcommands()).containsOnlyKeys("run");
        var kv = ArrowCli.commandLine(CliContext.system(), "kv", "get", "s", "k").getSubcommands();
        assertThat(kv).containsOnlyKeys("kv");
        assertThat(kv.get("kv").getSubcommands()).containsOnlyKeys("get");
        assertThat(ArrowCli.commandLine(CliContext.system(), "kv", "--help").getSubcommands().get("kv").getSubcommands())
                .containsOnlyKeys("put", "get", "ls", "list", "rm", "stores");
        var queue = ArrowCli.commandLine(CliContext.system(), "queue", "send", "q", "m").getSubcommands();
        assertThat(queue).containsOnlyKeys("queue");
        assertThat(queue.get("queue").getSubcommands()).containsOnlyKeys("send");
        assertThat(ArrowCli.commandLine(CliContext.system(), "queue", "--help").getSubcommands().get("queue")
                .getSubcommands()).containsOnlyKeys("send", "receive", "delete", "ls", "list", "purge", "redrive");
        var keys = ArrowCli.commandLine(CliContext.system(), "keys", "create", "ci").getSubcommands();
        assertThat(keys).containsOnlyKeys("keys");
        assertThat(keys.get("keys").getSubcommands()).containsOnlyKeys("create");
        assertThat(ArrowCli.commandLine(CliContext.system(), "keys", "--help").getSubcommands().get("keys")
                .getSubcommands()).containsOnlyKeys("create", "ls", "list", "rm");
        assertThat(ArrowCli.commandLine(CliContext.system(), "bucket", "--help").getSubcommands().get("bucket")
                .getSubcommands()).containsOnlyKeys("ls", "list", "create", "rm", "put", "get", "rm-object");
        assertThat(ArrowCli.commandLine(CliContext.system(), "events", "--help").getSubcommands().get("events")
                .getSubcommands()).containsOnlyKeys("send", "ls", "list", "redrive");
        assertThat(ArrowCli.commandLine(CliContext.system(), "flow", "--help").getSubcommands().get("flow")
                .getSubcommands()).containsOnlyKeys("deploy", "ls", "list", "rm", "revisions", "start", "runs", "describe",
                        "cancel", "redrive");
        var everyCommand = new String[] { // "list" is another name of "ls"
            "run", "serve", "deploy", "invoke", "ls", "list", "inspect", "rm", "rollback", "invocations", "logs", "kv",
            "queue", "keys", "bucket", "events", "triggers", "flow"};
        assertThat(ArrowCli.commandLine(CliContext.system(), "--help").getSubcommands()).containsOnlyKeys(everyCommand);
        assertThat(ArrowCli.commandLine(CliContext.system(), "sreve").getSubcommands()).containsOnlyKeys(everyCommand);
        assertThat(ArrowCli.commandLine(CliContext.system()).getSubcommands()).containsOnlyKeys(everyCommand);
    }

    @Test
    void theHelpListsEveryCommandAndACommandsHelpIsItsOwn() {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var context = CliContext.of(InputStream.nullInputStream(), new PrintStream(out, true), new PrintStream(err, true),
                Map.of());
        assertThat(ArrowCli.run(context, "--help")).isZero();
        assertThat(out.toString()).contains("run ", "serve ", "deploy ", "invocations ", "logs ");

        out.reset();
        assertThat(ArrowCli.run(context, "rm", "--help")).isZero();
        assertThat(out.toString()).startsWith("Usage: arrow rm ").contains("Exit status"); // the node commands' footer

        assertThat(ArrowCli.run(context, "rm", "--bogus", "x")).isEqualTo(125);
        assertThat(err.toString()).contains("unknown option: '--bogus'").contains("Try 'arrow rm --help'");
    }

    @Test
    void atArgumentsAreNotExpandedAsArgumentFiles() {
        CommandLine cli = ArrowCli.commandLine();
        cli.parseArgs("deploy", "x", "--", "echo", "@/etc/hostname");
        DeployCommand deploy = cli.getSubcommands().get("deploy").getCommand();
        assertThat(deploy.command).containsExactly("echo", "@/etc/hostname");
    }

    @Test
    void runLeavesItsArgumentsToTheHelper() {
        CommandLine cli = ArrowCli.commandLine();
        cli.parseArgs("run", "--memory", "12x", "--bogus", "--", "-x", "@/etc/hostname");
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        assertThat(run.arguments).contains("--memory", "12x", "--bogus", "-x", "@/etc/hostname");
    }
}
