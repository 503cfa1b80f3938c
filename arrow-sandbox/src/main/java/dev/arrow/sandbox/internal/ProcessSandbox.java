package dev.arrow.sandbox.internal;

import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.Stdio;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** One sandbox: one running helper, which reports through its result file when it ends. */
final class ProcessSandbox implements Sandbox {

    /** How long the helper gets to tear the sandbox down after SIGTERM before it is SIGKILLed. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private final Process helperProcess;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final Path helper;
    private final String id;
    private final Path resultFile;
    private final long startNanos;
    private SandboxResult result; // guarded by this

    ProcessSandbox(Process helperProcess, Stdio stdio, Path helper, String id, Path resultFile, long startNanos) {
        this.helperProcess = helperProcess;
        // Process's own streams for redirected stdio throw on write; the Sandbox contract wants them inert.
        boolean piped = stdio == Stdio.PIPE;
        this.stdin = piped ? helperProcess.getOutputStream() : OutputStream.nullOutputStream();
        this.stdout = piped ? helperProcess.getInputStream() : InputStream.nullInputStream();
        this.stderr = piped ? helperProcess.getErrorStream() : InputStream.nullInputStream();
        this.helper = helper;
        this.id = id;
        this.resultFile = resultFile;
        this.startNanos = startNanos;
    }

    @Override
    public long pid() {
        return helperProcess.pid();
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public synchronized SandboxResult waitFor() throws InterruptedException {
        if (result == null) {
            int helperStatus = helperProcess.waitFor();
            Duration wallTime = Duration.ofNanos(System.nanoTime() - startNanos);
            result = collect(helperStatus, wallTime);
        }
        return result;
    }

    /** SIGTERM, which the helper answers by killing every process of the sandbox. */
    @Override
    public void kill() {
        helperProcess.destroy();
    }

    @Override
    public void close() {
        try {
            if (helperProcess.isAlive()) {
                kill();
                if (!helperProcess.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    helperProcess.destroyForcibly(); // then waitFor() finds no result and cleans up
                }
            }
            waitFor();
        } catch (InterruptedException e) {
            helperProcess.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(stdin);
            closeQuietly(stdout);
            closeQuietly(stderr);
        }
    }

    private SandboxResult collect(int helperStatus, Duration wallTime) throws InterruptedException {
        Optional<String> line;
        try {
            line = takeResultLine();
        } catch (IOException e) {
            return setupFailed(wallTime, "cannot read the helper's result: " + e.getMessage());
        }
        if (line.isEmpty()) {
            // Killed or crashed before it could report: its sandbox may still be there.
            return setupFailed(wallTime, "the helper ended with status " + helperStatus + " and wrote no result");
        }
        try {
            return ResultParser.parse(line.get());
        } catch (ResultParser.MalformedResultException e) {
            return setupFailed(wallTime, "unreadable result from the helper: " + e.getMessage());
        }
    }

    private Optional<String> takeResultLine() throws IOException {
        try {
            String content = Files.readString(resultFile).strip();
            return content.isEmpty() ? Optional.empty() : Optional.of(content);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } finally {
            Files.deleteIfExists(resultFile);
        }
    }

    private SandboxResult setupFailed(Duration wallTime, String detail) throws InterruptedException {
        return HelperFailure.setupFailed(helper, id, wallTime, detail);
    }

    private static void closeQuietly(Closeable stream) {
        try {
            stream.close();
        } catch (IOException e) {
            // Nothing more can be done with a stream of a process that has ended.
        }
    }
}
