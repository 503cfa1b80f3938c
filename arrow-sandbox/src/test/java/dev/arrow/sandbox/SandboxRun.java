package dev.arrow.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** Runs one sandbox to its end with piped stdio and keeps what it printed. */
record SandboxRun(SandboxResult result, String stdout, String stderr) {

    static SandboxRun run(SandboxSpec spec) throws Exception {
        return run(Sandboxes.processDriver(), spec);
    }

    static SandboxRun run(SandboxDriver driver, SandboxSpec spec) throws Exception {
        try (Sandbox sandbox = driver.start(spec, Stdio.PIPE)) {
            sandbox.stdin().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(sandbox.stdout()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(sandbox.stderr()));
            SandboxResult result = sandbox.waitFor();
            return new SandboxRun(result, out.get(), err.get());
        }
    }

    private static String drain(InputStream in) {
        try (in) {
            var buffer = new ByteArrayOutputStream();
            in.transferTo(buffer);
            return buffer.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
