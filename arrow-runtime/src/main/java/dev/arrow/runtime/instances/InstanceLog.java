package dev.arrow.runtime.instances;

import dev.arrow.runtime.LogCapture;
import java.io.IOException;
import java.io.InputStream;

/**
 * What an instance writes to stdout and stderr. The last {@link #TAIL_BYTES} are kept for error
 * messages (a start that failed, a crash); while an instance serves one request at a time, what it
 * writes is also given to that request's capture, which becomes the invocation's log.
 */
final class InstanceLog {

    static final int TAIL_BYTES = 8 * 1024;

    private final LogCapture recent = new LogCapture(TAIL_BYTES, TAIL_BYTES);
    private LogCapture capture; // guarded by this
    // Bytes read and not yet accepted: counted without the lock, the moment a read returns, so that a
    // settle never misses bytes a pump holds while it waits for the lock (the other pump's accept, or settle's own).
    private final java.util.concurrent.atomic.AtomicLong handing = new java.util.concurrent.atomic.AtomicLong();
    private long taken;         // bytes accepted since the start, guarded by this
    private final java.util.List<InputStream> sources = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Copies {@code in} until its end; run on a platform thread (a blocking FIFO read). */
    void pump(InputStream in) {
        sources.add(in);
        byte[] buffer = new byte[8 * 1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                handing.addAndGet(n);
                accept(buffer, n);
            }
        } catch (IOException e) {
            // the sandbox is gone
        } finally {
            sources.remove(in);
        }
    }

    /** How long {@link #settle} waits at most for the pumps: on a busy machine a pump may wait its turn that long. */
    static final long SETTLE_NANOS = 200_000_000L;

    /**
     * Waits until what the app wrote before now has been taken in: an app writes its log and then
     * its response, but the pumps may not have read the log yet when the response is here. It
     * waits only while bytes are pending, which is rare and short; on a loaded machine a pump can
     * be off the CPU for milliseconds, and the log would go to no invocation.
     */
    void settle() {
        long waiting = 0;
        for (InputStream in : sources) {
            try {
                waiting += in.available();
            } catch (IOException e) {
                // closed: nothing pending
            }
        }
        long target = waiting + handing.get() + takenSoFar();
        // Only what was written before now: an app that keeps writing does not hold the answer up.
        long deadline = System.nanoTime() + SETTLE_NANOS;
        while (takenSoFar() < target && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    private synchronized long takenSoFar() {
        return taken;
    }

    private synchronized void accept(byte[] buffer, int n) {
        taken += n;
        handing.addAndGet(-n);
        recent.accept(buffer, n);
        if (capture != null) {
            capture.accept(buffer, n);
        }
    }

    synchronized void attach(LogCapture target) {
        capture = target;
    }

    synchronized void detach(LogCapture target) {
        if (capture == target) {
            capture = null;
        }
    }

    String tail() {
        return recent.tail();
    }
}
