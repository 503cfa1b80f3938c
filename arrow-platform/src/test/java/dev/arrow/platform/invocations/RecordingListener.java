package dev.arrow.platform.invocations;

import dev.arrow.sandbox.SandboxResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Keeps what the platform told its listener, in order, and lets a test wait for the next finish. */
final class RecordingListener implements InvocationListener {

    private final BlockingQueue<InvocationRecord> unseen = new LinkedBlockingQueue<>();
    private final List<InvocationRecord> finished = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final Map<String, CompletableFuture<InvocationRecord>> byId = new ConcurrentHashMap<>();

    @Override
    public void finished(InvocationRecord record) {
        events.add("finished " + record.id());
        finished.add(record);
        unseen.add(record);
        of(record.id()).complete(record);
    }

    @Override
    public void sandboxEnded(SandboxResult sandbox) {
        events.add("sandbox " + sandbox.outcome().name());
    }

    /** The next finish not yet taken, waiting for it. */
    InvocationRecord nextFinished() throws InterruptedException {
        InvocationRecord next = unseen.poll(FakeSandboxes.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        if (next == null) {
            throw new AssertionError("no invocation finished within " + FakeSandboxes.PATIENCE);
        }
        return next;
    }

    /** The finish of invocation {@code id}, waiting for it. */
    InvocationRecord finished(String id) throws InterruptedException {
        try {
            return of(id).get(FakeSandboxes.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("invocation " + id + " did not finish within " + FakeSandboxes.PATIENCE);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private CompletableFuture<InvocationRecord> of(String id) {
        return byId.computeIfAbsent(id, key -> new CompletableFuture<>());
    }

    List<InvocationRecord> finished() {
        return List.copyOf(finished);
    }

    /** "sandbox OUTCOME" and "finished ID", in the order they came. */
    List<String> events() {
        return List.copyOf(events);
    }
}
