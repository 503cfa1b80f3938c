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
    private int handing;        // chunks read and not yet accepted, guarded by this
    private final java.util.List<InputStream> sources = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Copies {@code in} until its end; run on a platform thread (a blocking FIFO read). */
    void pump(InputStream in) {
        sources.add(in);
        byte[] buffer = new byte[8 * 1024];
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                synchronized (this) {
                    handing++;
                }
                accept(buffer, n);
            }
        } catch (IOException e) {
            // the sandbox is gone
        } finally {
            sources.remove(in);
        }
    }

    /**
     * Waits (briefly) until what the app wrote before now has been taken in: an app writes its log
     * and then its response, but the pumps may not have read the log yet when the response is here.
     */
    void settle() {
        for (int i = 0; i < 50; i++) {
            if (pending() == 0) {
                return;
            }
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    private int pending() {
        int bytes = 0;
        for (InputStream in : sources) {
            try {
                bytes += in.available();
            } catch (IOException e) {
                // closed: nothing pending
            }
        }
        synchronized (this) {
            return bytes + handing;
        }
    }

    private synchronized void accept(byte[] buffer, int n) {
        handing = Math.max(0, handing - 1);
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
