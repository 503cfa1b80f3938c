package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A command group run without a subcommand: a usage error that lists its subcommands. */
class CommandGroupTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "kv|give a kv command: put, get, ls, rm or stores",
        "queue|give a queue command: send, receive, delete, ls, purge or redrive",
        "keys|give a keys command: create, ls or rm",
        "bucket|give a bucket command: ls, create, rm, put, get or rm-object",
        "events|give an events command: send, ls or redrive",
        "flow|give a flow command: deploy, ls, rm, revisions, start, runs, describe, cancel or redrive"
    })
    void aGroupAloneIsAUsageErrorListingItsSubcommands(String group, String message) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var context = new CliContext(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true),
                new PrintStream(err, true), Map.of(), dir, false, Clock.systemUTC());

        int status = ArrowCli.run(context, group);

        assertThat(status).isEqualTo(ArrowCli.USAGE_ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("arrow: " + message + "\n"
                + "Try 'arrow " + group + " --help' for more information.\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void oneSubcommandIsNamedWithoutAList() {
        assertThat(CommandGroup.usage("x", List.of("only"))).isEqualTo("give a x command: only");
        assertThat(CommandGroup.usage("items", List.of("a", "b"))).isEqualTo("give an items command: a or b");
    }
}
