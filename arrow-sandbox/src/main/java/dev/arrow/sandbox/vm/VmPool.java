package dev.arrow.sandbox.vm;

import dev.arrow.sandbox.PrewarmStats;
import dev.arrow.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Restored VMs waiting for a spec, {@code /usr} already mounted: a start from the pool costs its
 * other shares' hot-plug and an exec. The pool keeps VMs of one shape (RAM and vCPUs), the shape
 * of the latest start; a node's VM arrows mostly share one. One named thread refills it.
 */
final class VmPool {

    /** The most VMs a pool keeps: each holds its guest's touched RAM. */
    static final int MAX = 16;

    /** RAM and vCPUs, what a snapshot and a pooled VM are made for. */
    record Shape(long memoryMiB, int cpus) {
    }

    interface Restorer {
        VmSandbox restoreIdle(Shape shape) throws SandboxException;
    }

    private final Restorer restorer;
    private final Deque<VmSandbox> ready = new ArrayDeque<>();
    private int target;
    private Shape shape;
    private Thread filler;
    private volatile String lastFailure;

    VmPool(Restorer restorer, Shape initial) {
        this.restorer = restorer;
        this.shape = initial;
    }

    synchronized void resize(int target) {
        if (target < 0 || target > MAX) {
            throw new IllegalArgumentException("the VM pool holds 0 to " + MAX + " VMs, not " + target);
        }
        this.target = target;
        while (ready.size() > target) {
            ready.removeLast().close();
        }
        if (target > 0 && filler == null) {
            filler = Thread.ofPlatform().daemon().name("arrow-vm-pool").start(this::fill);
        }
        notifyAll();
    }

    /** An idle VM of this shape, or null; a start of another shape turns the pool to that shape. */
    VmSandbox take(Shape wanted) {
        VmSandbox taken = null;
        synchronized (this) {
            if (target == 0) {
                return null;
            }
            if (!wanted.equals(shape)) {
                shape = wanted;
                ready.forEach(VmSandbox::close);
                ready.clear();
            }
            while (!ready.isEmpty()) {
                VmSandbox vm = ready.removeFirst();
                if (vm.idleAlive()) {
                    taken = vm;
                    break;
                }
                vm.close();
            }
            notifyAll();
        }
        return taken;
    }

    synchronized PrewarmStats stats() {
        int processes = 0;
        long memory = 0;
        for (VmSandbox vm : ready) {
            for (long pid : vm.processIds()) {
                processes++;
                memory += residentBytes(pid);
            }
        }
        return new PrewarmStats(target, ready.size(), processes, memory);
    }

    /** Why the latest refill failed, or null. */
    String lastFailure() {
        return lastFailure;
    }

    private void fill() {
        while (true) {
            Shape wanted;
            synchronized (this) {
                while (ready.size() >= target) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                wanted = shape;
            }
            try {
                VmSandbox vm = restorer.restoreIdle(wanted);
                synchronized (this) {
                    if (wanted.equals(shape) && ready.size() < target) {
                        ready.addLast(vm);
                        vm = null;
                    }
                }
                if (vm != null) {
                    vm.close();
                }
                lastFailure = null;
            } catch (SandboxException | RuntimeException e) {
                lastFailure = e.getMessage();
                try {
                    Thread.sleep(1000); // a host that cannot restore now is not asked again at once
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).strip().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // ended meanwhile
        }
        return 0;
    }
}
