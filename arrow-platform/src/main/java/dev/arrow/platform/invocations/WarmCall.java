package dev.arrow.platform.invocations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.runtime.LogCapture;
import dev.arrow.runtime.Metering;
import dev.arrow.runtime.OutputPolicy;
import dev.arrow.runtime.instances.Instance;
import dev.arrow.runtime.instances.InstanceClient;
import dev.arrow.runtime.instances.InstanceFleet;
import dev.arrow.runtime.instances.InstanceResponse;
import dev.arrow.runtime.instances.ResponseTooLargeException;
import dev.arrow.sandbox.Outcome;
import dev.arrow.sandbox.SandboxResult;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One invocation served by a warm instance: holds its slot from {@link InvocationService#openHttp}
 * (or an API invoke) until {@link #finish}, which frees the slot and stores the record.
 */
public final class WarmCall {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a broken connection waits for the instance's end before calling it unreachable, not crashed. */
    private static final Duration CRASH_SHOWS_WITHIN = Duration.ofMillis(500);

    private final InvocationService service;
    private final InvocationRecord running;
    private final ArrowSpec spec;
    private final InstanceFleet.Lease lease;
    private final DispatchClock clock;
    private final Instant startedAt;
    private final long startNanos;
    private final LogCapture log;
    private final AtomicBoolean finished = new AtomicBoolean();

    WarmCall(InvocationService service, InvocationRecord running, ArrowSpec spec, InstanceFleet.Lease lease,
            DispatchClock clock) {
        this.service = service;
        this.running = running;
        this.spec = spec;
        this.lease = lease;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.startNanos = clock.nanoTime();
        OutputPolicy output = service.settings().output();
        // Only an instance serving this request alone writes this request's log.
        this.log = lease.exclusive() ? new LogCapture(output.maxLogBytes(), output.tailBytes()) : null;
        if (log != null) {
            lease.instance().beginCapture(log);
        }
    }

    public String invocationId() {
        return running.id();
    }

    public Instance instance() {
        return lease.instance();
    }

    public boolean cold() {
        return lease.cold();
    }

    /** The longest a request may take: the arrow's timeout. */
    public Duration timeout() {
        return spec.limits().timeout();
    }

    /**
     * Records how the forwarded request went and frees the instance's slot. Call once, after the
     * response: the record is stored within milliseconds, in a commit shared with others.
     *
     * @param status  the instance's HTTP status, or 0 when no answer came
     * @param failure why no (whole) answer came: the connection broke, the timeout passed
     */
    public InvocationRecord finish(int status, long responseBytes, Optional<Throwable> failure) {
        return finish(status, responseBytes, failure, true);
    }

    private InvocationRecord finish(int status, long responseBytes, Optional<Throwable> failure, boolean soon) {
        claim();
        return concluded(status, responseBytes, failure, soon);
    }

    /** How the request went, once this call is claimed: a timed-out instance is stopped here. */
    private InvocationRecord concluded(int status, long responseBytes, Optional<Throwable> failure, boolean soon) {
        Outcome outcome = new Outcome.Exited(0);
        Optional<RunError> error = Optional.empty();
        if (failure.isPresent()) {
            Throwable cause = failure.get();
            if (cause instanceof TimeoutException) {
                outcome = new Outcome.TimedOut();
                if (lease.exclusive()) {
                    lease.stopInstance(); // it is stuck on this request
                }
            } else {
                Optional<SandboxResult> ended = awaitEnd(lease.instance());
                if (ended.isPresent()) {
                    outcome = crashOutcome(ended.get().outcome());
                    error = Optional.of(new RunError.InstanceFailed("the instance " + lease.instance().id()
                            + " crashed while serving (" + ended.get().outcome().name() + ")"));
                } else {
                    outcome = new Outcome.FailedToStart("instance-unreachable", "the instance " + lease.instance().id()
                            + " did not answer: " + describe(cause));
                }
            }
        } else if (status >= 500) {
            error = Optional.of(new RunError.InstanceFailed("the instance answered with status " + status));
        }
        return complete(outcome, error, responseBytes, new byte[0], soon);
    }

    /**
     * Records a forwarded request whose client went away before its answer was out, and frees the
     * slot. The instance is not at fault, so nothing waits for its end; call once, instead of
     * {@link #finish}.
     */
    public InvocationRecord abandon(int status, long responseBytes) {
        claim();
        return complete(new Outcome.Exited(0), Optional.of(new RunError.Abandoned(
                "the client closed the connection before the answer was out"
                + (status > 0 ? " (the instance answered " + status + ")" : ""))), responseBytes, new byte[0], true);
    }

    /**
     * {@link #finish} for a caller that must not block, such as a selector thread: here when it
     * cannot wait, else on a virtual thread of its own. The future completes with the record.
     */
    public CompletableFuture<InvocationRecord> finishWithoutBlocking(int status, long responseBytes,
            Optional<Throwable> failure) {
        return withoutBlocking(failure.isPresent(), () -> finish(status, responseBytes, failure));
    }

    /** {@link #abandon} for a caller that must not block, as {@link #finishWithoutBlocking}. */
    public CompletableFuture<InvocationRecord> abandonWithoutBlocking(int status, long responseBytes) {
        return withoutBlocking(false, () -> abandon(status, responseBytes));
    }

    private CompletableFuture<InvocationRecord> withoutBlocking(boolean failed, Supplier<InvocationRecord> completion) {
        // A failure waits for a crashed instance's end; a captured log, for the instance's last lines.
        if (!failed && log == null) {
            return CompletableFuture.completedFuture(completion.get());
        }
        var record = new CompletableFuture<InvocationRecord>();
        Thread.ofVirtual().name("finish-" + running.id()).start(() -> {
            try {
                record.complete(completion.get());
            } catch (RuntimeException | Error e) {
                record.completeExceptionally(e);
                throw e; // and to the thread's handler, as nobody may be waiting for the record
            }
        });
        return record;
    }

    /** Sends the input to / and records the answer (API invocations). */
    CompletedInvocation invoke(InstanceClient client, byte[] input, Map<String, String> headers, OutputPolicy output)
            throws InterruptedException {
        claim();
        InstanceResponse response;
        try {
            // A Content-Type given (a CloudEvent's datacontenttype) is the body's; else it is guessed.
            String type = headers.getOrDefault("Content-Type", contentTypeOf(input));
            var others = new java.util.LinkedHashMap<>(headers);
            others.remove("Content-Type");
            response = client.invoke(lease.instance(), input, type, others, spec.limits().timeout(),
                    output.maxOutputBytes());
        } catch (ResponseTooLargeException e) {
            InvocationRecord record = complete(new Outcome.Exited(0),
                    Optional.of(new RunError.OutputTooLarge(output.maxOutputBytes())), 0, new byte[0], false);
            return new CompletedInvocation(record, new byte[0], tail());
        } catch (IOException | TimeoutException e) {
            InvocationRecord record = concluded(0, 0, Optional.of(e), false);
            return new CompletedInvocation(record, new byte[0], tail());
        }
        Optional<RunError> error = Optional.empty();
        if (response.error() != null) {
            error = Optional.of(handlerError(response.body()));
        } else if (response.status() >= 500) {
            error = Optional.of(new RunError.InstanceFailed("the instance answered with status " + response.status()));
        }
        byte[] body = response.body();
        InvocationRecord record = complete(new Outcome.Exited(0), error, body.length, error.isPresent() ? new byte[0] : body,
                false);
        return new CompletedInvocation(record, error.isPresent() ? new byte[0] : body, tail(), response.headers(),
                response.status());
    }

    /**
     * Makes this call the one that ends the invocation, before anything is done to the instance: a
     * second finish must not stop an instance whose slot another request holds by then.
     */
    private void claim() {
        if (!finished.compareAndSet(false, true)) {
            throw new IllegalStateException("invocation " + running.id() + " is already finished");
        }
    }

    /** {@code soon}: the record may share a later commit (see {@link InvocationService#record}). */
    private InvocationRecord complete(Outcome outcome, Optional<RunError> error, long outputBytes, byte[] output,
            boolean soon) {
        Duration duration = Duration.ofNanos(clock.nanoTime() - startNanos);
        if (log != null) {
            lease.instance().endCapture(log);
        }
        lease.close();
        Duration billed = Metering.billed(duration);
        long memory = spec.limits().memoryBytes();
        Instance instance = lease.instance();
        var execution = new Execution(startedAt, lease.cold(), lease.cold() ? instance.initTime() : Duration.ZERO, duration,
                outcome, error, Duration.ZERO, Duration.ZERO, 0, memory, billed, Metering.gbSeconds(memory, billed),
                outputBytes, log == null ? 0 : log.total(), log != null && log.truncated(), Optional.of(instance.id()))
                .in(spec.isolation(), spec.isolation() == Isolation.VM ? service.vmAccelerator() : Optional.empty());
        InvocationRecord finishedRecord = running.finished(execution);
        service.record(finishedRecord, output, log == null ? "" : log.text(), soon);
        return finishedRecord;
    }

    private String tail() {
        return log != null ? log.tail() : lease.instance().logTail();
    }

    /** A broken connection is how a crash shows first; the sandbox's end follows within moments. */
    private Optional<SandboxResult> awaitEnd(Instance instance) {
        var ended = new AtomicReference<SandboxResult>();
        try {
            clock.awaitUntil(clock.nanoTime() + CRASH_SHOWS_WITHIN.toNanos(), nanos -> {
                try {
                    ended.set(instance.endedWithin(Duration.ofNanos(nanos)));
                    return true;
                } catch (TimeoutException e) {
                    return false;
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.ofNullable(ended.get());
    }

    /** An instance that exited on its own while serving still failed the request. */
    private static Outcome crashOutcome(Outcome outcome) {
        return outcome instanceof Outcome.Exited(int code) && code == 0 ? new Outcome.Exited(1) : outcome;
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    /** "TypeError: message", from a language runtime's error body. */
    private static RunError handlerError(byte[] body) {
        try {
            JsonNode error = JSON.readTree(body);
            String type = error.path("errorType").asText("Error");
            String message = error.path("errorMessage").asText("");
            return new RunError.HandlerFailed(type + (message.isEmpty() ? "" : ": " + message));
        } catch (IOException e) {
            return new RunError.HandlerFailed("");
        }
    }

    private static String contentTypeOf(byte[] input) {
        for (byte b : input) {
            if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                continue;
            }
            return b == '{' || b == '[' || b == '"' ? "application/json" : "application/octet-stream";
        }
        return "application/json";
    }
}
