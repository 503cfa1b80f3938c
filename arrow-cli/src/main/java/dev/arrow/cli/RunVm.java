package dev.arrow.cli;

import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.Stdio;
import dev.arrow.sandbox.vm.VmDriver;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code arrow run --isolation vm}: the same options, exit statuses and {@code --stats} line as
 * the helper's run mode, the program in a microVM ({@link VmDriver}) with this process's stdin,
 * stdout and stderr. The stats line adds the tier and the accelerator: under TCG a run takes
 * seconds, and whoever reads the times must know why.
 */
final class RunVm {

    private static final String HINT = "Try 'arrow run --help' for more information.";

    private RunVm() {
    }

    /** Runs the words that follow "run" in a VM and answers the exit status. */
    static int run(List<String> words) throws InterruptedException {
        RunOptions options;
        try {
            options = RunOptions.parse(words, Path.of(""));
            if (options.help()) {
                return RunCommand.run(words.stream().filter(word -> word.startsWith("-h") || word.startsWith("-V")
                        || word.equals("--help") || word.equals("--version")).limit(1).toList());
            }
            options.requireVmCanHonour();
        } catch (RunOptions.UsageException e) {
            System.err.println("arrow: " + e.getMessage());
            System.err.println(HINT);
            return ArrowCli.USAGE_ERROR;
        }
        VmDriver driver;
        String accelerator;
        SandboxResult result;
        try {
            driver = VmDriver.create();
            accelerator = driver.accelerator();
            try (Sandbox vm = driver.start(options.spec(), Stdio.INHERIT)) {
                // Ctrl-C goes to the program in the guest, as the process tier's helper passes it on.
                sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> vm.interrupt());
                result = vm.waitFor();
            }
        } catch (SandboxException e) {
            System.err.println("arrow: " + e.getMessage());
            return ArrowCli.USAGE_ERROR;
        }
        if (result.outcome() instanceof Outcome.FailedToStart failed) {
            System.err.println("arrow: " + failed.detail());
        }
        if (options.stats()) {
            System.err.println(statsLine(result, accelerator));
        }
        return result.outcome().exitStatus();
    }

    /** The process tier's line, {@link SandboxResult#toJson()}, with the tier and its accelerator at the end. */
    static String statsLine(SandboxResult result, String accelerator) {
        String json = result.toJson();
        return json.substring(0, json.length() - 1) + ",\"isolation\":\"vm\",\"accelerator\":\"" + accelerator + "\"}";
    }
}
