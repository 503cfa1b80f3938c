package dev.arrow.runtime.instances;

import java.util.concurrent.atomic.AtomicLong;

/** The node's memory for instances: each reserves its memory limit while it runs. */
public final class MemoryBudget {

    private final long totalBytes;
    private final AtomicLong reserved = new AtomicLong();

    public MemoryBudget(long totalBytes) {
        this.totalBytes = totalBytes;
    }

    /** Most of the machine's memory: what the node itself and exec sandboxes need stays free. */
    public static MemoryBudget ofMachine() {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return new MemoryBudget(os.getTotalMemorySize() * 3 / 4);
    }

    boolean tryReserve(long bytes) {
        while (true) {
            long now = reserved.get();
            if (now + bytes > totalBytes) {
                return false;
            }
            if (reserved.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    void release(long bytes) {
        reserved.addAndGet(-bytes);
    }

    public long totalBytes() {
        return totalBytes;
    }

    public long reservedBytes() {
        return reserved.get();
    }
}
