package dev.arrow.cli;

import dev.arrow.sandbox.NativeProgram;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code arrow run}: one program in one fresh sandbox, in the foreground. The native helper's run
 * mode does all of it, the options included (native/README.md, "Run mode"), so that the launcher
 * can run it without a JVM; here it gets the arguments unchanged, this process's stdin, stdout
 * and stderr, and a SIGTERM when this JVM is told to stop, and its exit status is this one's.
 * {@code --isolation vm} is this JVM's own ({@link RunVm}): the launcher hands it here.
 */
@Command(
        name = "run",
        description = "Runs COMMAND in a fresh sandbox and exits with its status.")
final class RunCommand implements Callable<Integer> {

    /** How long the helper gets to tear the sandbox down after SIGTERM before it is SIGKILLed. */
    private static final long KILL_GRACE_SECONDS = 5;

    @Spec
    CommandSpec spec;

    /** What follows "run", left to the helper: picocli reads none of it. */
    @Unmatched
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        // The words as typed: picocli has dropped the first "--" from what it did not match.
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        return runOrRunVm(original.subList(original.indexOf("run") + 1, original.size()));
    }

    /** The words that follow "run": in a VM with {@code --isolation vm} before COMMAND, else by the helper. */
    static int runOrRunVm(List<String> words) throws InterruptedException {
        return RunOptions.wantsVm(words) ? RunVm.run(words) : run(words);
    }

    /** Runs the helper's run mode with {@code arguments} (what follows "run") and answers its exit status. */
    static int run(List<String> arguments) throws InterruptedException {
        Path helper;
        try {
            helper = NativeProgram.SANDBOX_HELPER.locate();
        } catch (NoSuchFileException e) {
            System.err.println("arrow: " + e.getReason());
            return ArrowCli.USAGE_ERROR;
        }
        // --die-with-parent: should this JVM die without its shutdown hook (SIGKILL), so does the sandbox.
        var command = new ArrayList<>(List.of(helper.toString(), "--die-with-parent", "run"));
        command.addAll(arguments);
        Process process;
        try {
            process = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            System.err.println("arrow: cannot run " + helper + ": " + e.getMessage());
            return ArrowCli.USAGE_ERROR;
        }
        // If the JVM is told to stop (SIGTERM, SIGHUP), the sandbox must not outlive it.
        var stop = new Thread(() -> stop(process), "arrow-stop-sandbox");
        Runtime.getRuntime().addShutdownHook(stop);
        // Ctrl-C reaches the helper from the terminal too, and the helper passes it to the program.
        try (var _ = Interrupts.ignore()) {
            return process.waitFor();
        } finally {
            removeShutdownHook(stop);
        }
    }

    /** SIGTERM, which the helper answers by killing every process of the sandbox. */
    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(KILL_GRACE_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void removeShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down, and the hook is stopping the sandbox: nothing to undo.
        }
    }
}
