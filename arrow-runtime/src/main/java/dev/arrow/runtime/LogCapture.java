package dev.arrow.runtime;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Stderr within a budget: the head and the tail survive, the middle is dropped behind a marker.
 * The head says how a program started, the tail how it failed; both matter more than the middle.
 */
public final class LogCapture {

    private final int headMax;
    private final byte[] ring;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();
    private long ringWritten;
    private long total;

    public LogCapture(int maxBytes, int tailBytes) {
        this.headMax = maxBytes - tailBytes;
        this.ring = new byte[Math.max(1, tailBytes)];
    }

    void drain(InputStream in) {
        ExecInvoker.drainTo(in, this::accept);
    }

    /** Adds {@code length} bytes of {@code buffer}. */
    public synchronized void accept(byte[] buffer, int length) {
        total += length;
        int toHead = (int) Math.min(length, Math.max(0, headMax - head.size()));
        if (toHead > 0) {
            head.write(buffer, 0, toHead);
        }
        // Everything goes to the tail ring too, so the tail is right even when the head is not full.
        for (int i = 0; i < length; i++) {
            ring[(int) (ringWritten++ % ring.length)] = buffer[i];
        }
    }

    public synchronized long total() {
        return total;
    }

    public synchronized boolean truncated() {
        return total > head.size() + (long) ring.length;
    }

    /** The whole log if it fits, else head + marker + tail. */
    public synchronized String text() {
        if (total <= head.size()) {
            return head.toString(StandardCharsets.UTF_8);
        }
        byte[] tail = lastBytes(Math.min(total - head.size(), ring.length));
        String kept = head.toString(StandardCharsets.UTF_8);
        if (!truncated()) {
            return kept + new String(tail, StandardCharsets.UTF_8);
        }
        long dropped = total - head.size() - tail.length;
        return kept + "\n[arrow: log truncated: " + dropped + " bytes dropped]\n" + new String(tail, StandardCharsets.UTF_8);
    }

    /** The end of the log, at most the tail budget. */
    public synchronized String tail() {
        return new String(lastBytes(Math.min(total, ring.length)), StandardCharsets.UTF_8);
    }

    private byte[] lastBytes(long count) {
        byte[] out = new byte[(int) count];
        long start = ringWritten - count;
        for (int i = 0; i < count; i++) {
            out[i] = ring[(int) ((start + i) % ring.length)];
        }
        return out;
    }
}
