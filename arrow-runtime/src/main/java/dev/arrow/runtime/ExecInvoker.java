package dev.arrow.runtime;

import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.Sandbox;
import dev.arrow.sandbox.SandboxDriver;
import dev.arrow.sandbox.SandboxException;
import dev.arrow.sandbox.SandboxResult;
import dev.arrow.sandbox.SandboxSpec;
import dev.arrow.sandbox.Stdio;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Objects;

/**
 * Runs exec-mode invocations: one fresh sandbox each, the input on stdin, stdout captured as the
 * response (up to a cap), stderr captured as the log. Safe to call from many threads at once; each
 * call blocks its (virtual) thread until the sandbox has ended.
 */
public final class ExecInvoker {

    /**
     * The sandbox's stdio is pumped by platform threads, reused across invocations: a blocking read
     * of a pipe holds a virtual thread's carrier, and a few running sandboxes would otherwise hold
     * every carrier of a 2-core node, stalling all its other requests until they end.
     */
    private static final ExecutorService STDIO_PUMPS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("arrow-exec-stdio-", 0).factory());

    private final SandboxDriver driver;
    private final OutputPolicy policy;

    public ExecInvoker(SandboxDriver driver, OutputPolicy policy) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * Runs {@code task} with {@code input} on its stdin and waits for it to end.
     *
     * @throws SandboxException when no sandbox could be started at all (the helper is missing or broken);
     *                          problems of the program itself are in the result
     */
    public ExecResult invoke(ExecTask task, byte[] input) throws SandboxException, InterruptedException {
        SandboxSpec spec = specOf(task);
        try (Sandbox sandbox = driver.start(spec, Stdio.PIPE)) {
            var output = new OutputCapture(policy.maxOutputBytes(), sandbox::kill);
            var log = new LogCapture(policy.maxLogBytes(), policy.tailBytes());
            Future<?> writer = STDIO_PUMPS.submit(() -> feed(sandbox.stdin(), input));
            Future<?> outReader = STDIO_PUMPS.submit(() -> output.drain(sandbox.stdout()));
            Future<?> errReader = STDIO_PUMPS.submit(() -> log.drain(sandbox.stderr()));
            SandboxResult result;
            try {
                result = sandbox.waitFor();
                // The pipes reach EOF once every process of the sandbox is gone, which waitFor guarantees.
                await(outReader);
                await(errReader);
                await(writer);
            } catch (InterruptedException e) {
                sandbox.kill();
                writer.cancel(true);
                throw e;
            }
            return new ExecResult(result, output.bytes(), output.total(), output.overflowed(), log.text(), log.total(),
                    log.truncated(), log.tail());
        }
    }

    private static void await(Future<?> pump) throws InterruptedException {
        try {
            pump.get();
        } catch (ExecutionException e) {
            // The pumps catch their own I/O errors; anything else is a bug worth seeing.
            throw new IllegalStateException("stdio pump failed", e.getCause());
        }
    }

    private static SandboxSpec specOf(ExecTask task) {
        SandboxSpec.Builder builder = SandboxSpec.builder(task.command())
                .env(task.env())
                .limits(task.limits())
                .network(task.network());
        task.code().ifPresent(dir -> builder.mount(Mount.readOnly(dir, ExecTask.CODE_DIR)).workdir(ExecTask.CODE_DIR));
        task.mounts().forEach(builder::mount);
        return builder.build();
    }

    /**
     * The most a pipe read or write moves at once: the JDK's file streams copy up to this much
     * through a buffer on the stack, and anything larger through a malloc of its whole length,
     * which glibc keeps in per-thread arenas after a body of a few MiB (`arrow bench soak`).
     */
    static final int PIPE_SLICE = 8192;

    private static void feed(OutputStream stdin, byte[] input) {
        try (stdin) {
            for (int offset = 0; offset < input.length; offset += PIPE_SLICE) {
                stdin.write(input, offset, Math.min(PIPE_SLICE, input.length - offset));
            }
        } catch (IOException e) {
            // The program stopped reading (exited, or closed stdin): what it did not read is not an error.
        }
    }

    /** Reads a stream to its end, handing each chunk to {@code sink}. */
    static void drainTo(InputStream in, java.util.function.ObjIntConsumer<byte[]> sink) {
        byte[] buffer = new byte[PIPE_SLICE];
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                sink.accept(buffer, n);
            }
        } catch (IOException e) {
            // The sandbox was killed mid-write: keep what arrived.
        }
    }
}
