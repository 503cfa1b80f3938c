package dev.arrow.runtime;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;

/** Stdout up to a cap. Passing the cap stops the sandbox: nobody will receive the rest. */
final class OutputCapture {

    private final int max;
    private final Runnable onOverflow;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long total;
    private boolean overflowed;

    OutputCapture(int max, Runnable onOverflow) {
        this.max = max;
        this.onOverflow = onOverflow;
    }

    void drain(InputStream in) {
        ExecInvoker.drainTo(in, this::accept);
    }

    private synchronized void accept(byte[] buffer, int length) {
        total += length;
        if (overflowed) {
            return;
        }
        if (kept.size() + length > max) {
            overflowed = true;
            kept.reset();
            onOverflow.run();
            return;
        }
        kept.write(buffer, 0, length);
    }

    synchronized byte[] bytes() {
        return kept.toByteArray();
    }

    synchronized long total() {
        return total;
    }

    synchronized boolean overflowed() {
        return overflowed;
    }
}
