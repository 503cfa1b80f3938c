package dev.arrow.bench;

import dev.arrow.sandbox.SandboxException;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * {@code arrow bench}, run by the {@code ./arrow} launcher of a source tree from this module's own
 * jar: the user's CLI jar carries no benchmark code.
 */
public final class ArrowBench {

    /** What a benchmark exits with when it, rather than what it measures, failed. */
    static final int FAILED = 125;

    private ArrowBench() {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new BenchCommand())
                .setCommandName("arrow bench")
                .setExpandAtFiles(false)
                .setParameterExceptionHandler(ArrowBench::usageError)
                .setExecutionExceptionHandler(ArrowBench::executionError);
    }

    private static int usageError(ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println("arrow bench: " + decapitalize(e.getMessage()));
        err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return FAILED;
    }

    private static int executionError(Exception e, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        switch (e) {
            case ProcessFailedException failed -> err.println("arrow bench: " + failed.getMessage());
            case SandboxException cannotStart -> err.println("arrow bench: " + cannotStart.getMessage());
            case IllegalArgumentException invalid -> err.println("arrow bench: " + invalid.getMessage());
            default -> err.println("arrow bench: internal error: " + e);
        }
        err.flush();
        return FAILED;
    }

    private static String decapitalize(String message) {
        if (message.length() > 1 && Character.isUpperCase(message.charAt(0))
                && Character.isLowerCase(message.charAt(1))) {
            return message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
        }
        return message;
    }
}
