package dev.arrow.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.execution.FlowCalls;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.PlatformException;
import dev.arrow.platform.invocations.CompletedInvocation;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.Trigger;
import dev.arrow.sandbox.Outcome;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * A flow's calls as invocations of the node, recorded with trigger {@code flow}: the step's input
 * as a JSON body, the idempotency key as an http arrow's {@code Idempotency-Key} header and an exec
 * arrow's {@code ARROW_IDEMPOTENCY_KEY}.
 */
final class NodeFlowCalls implements FlowCalls {

    static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    static final String IDEMPOTENCY_VARIABLE = "ARROW_IDEMPOTENCY_KEY";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How much of an arrow's answer or log an error's detail quotes. */
    private static final int DETAIL_CHARS = 500;

    /** Runs one invocation; the node's {@link InvocationService#deliver} behind a seam the tests replace. */
    interface Invoker {
        CompletedInvocation invoke(String arrow, Map<String, String> headers, Map<String, String> environment, byte[] body)
                throws InterruptedException;
    }

    private final InvocationService invocations;
    private final Invoker invoker;

    NodeFlowCalls(InvocationService invocations) {
        this(invocations, (arrow, headers, environment, body) ->
                invocations.deliver(arrow, Trigger.FLOW, headers, environment, body));
    }

    NodeFlowCalls(InvocationService invocations, Invoker invoker) {
        this.invocations = invocations;
        this.invoker = invoker;
    }

    @Override
    public boolean exists(String arrow) {
        try {
            invocations.mode(arrow);
            return true;
        } catch (NotFoundException | InvalidInputException e) {
            return false;
        }
    }

    @Override
    public Result call(String arrow, JsonNode input, String idempotencyKey, Duration timeout) throws InterruptedException {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(input);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: serializing a tree", e);
        }
        Map<String, String> headers = Map.of("Content-Type", "application/json", IDEMPOTENCY_HEADER, idempotencyKey);
        Map<String, String> environment = Map.of(IDEMPOTENCY_VARIABLE, idempotencyKey);
        // On a thread of its own, so that the step's timeout bounds the wait; a call cut off is interrupted.
        var future = new CompletableFuture<CompletedInvocation>();
        Thread thread = Thread.ofVirtual().name("flow-call-" + arrow).start(() -> {
            try {
                future.complete(invoker.invoke(arrow, headers, environment, body));
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        });
        CompletedInvocation done;
        try {
            done = future.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            thread.interrupt();
            return failed(FlowError.TIMEOUT, 408, "call timed out",
                    "the arrow " + arrow + " did not answer within " + timeout);
        } catch (InterruptedException e) {
            thread.interrupt();
            throw e;
        } catch (ExecutionException e) {
            return refused(arrow, e.getCause());
        }
        return result(arrow, done);
    }

    private static Result refused(String arrow, Throwable cause) throws InterruptedException {
        return switch (cause) {
            case OverloadedException _ -> new Result.Busy();
            case NotFoundException e -> failed(FlowError.COMMUNICATION, 404, "arrow not found", e.getMessage());
            case InvalidInputException e -> failed(FlowError.COMMUNICATION, 400, "call refused", e.getMessage());
            case PlatformException e -> failed(FlowError.COMMUNICATION, 503, "call failed", e.getMessage());
            case InterruptedException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> failed(FlowError.COMMUNICATION, 500, "call failed", arrow + ": " + cause);
        };
    }

    /** How the invocation ended, as the step sees it. */
    static Result result(String arrow, CompletedInvocation done) {
        Execution execution = done.execution();
        String invocation = " (invocation " + done.record().id() + ")";
        if (execution.succeeded() && done.status() != 0 && done.status() / 100 != 2) {
            return failed(FlowError.COMMUNICATION, done.status(), "the arrow answered " + done.status(),
                    "the arrow " + arrow + " answered with status " + done.status() + invocation + quoted(done.output()));
        }
        if (execution.succeeded()) {
            return new Result.Succeeded(json(done.output()));
        }
        if (execution.outcome() instanceof Outcome.TimedOut) {
            return failed(FlowError.TIMEOUT, 408, "call timed out", "the arrow " + arrow + " ran out of its time" + invocation);
        }
        String why = execution.error().map(RunError::message)
                .orElseGet(() -> execution.outcome() instanceof Outcome.Exited(int code)
                        ? "exited with " + code : "ended: " + execution.outcome().name());
        String log = done.stderrTail() == null || done.stderrTail().isBlank() ? ""
                : "; its log ends: " + clip(done.stderrTail().strip());
        return failed(FlowError.COMMUNICATION, 500, "the arrow failed", "the arrow " + arrow + " " + why + invocation + log);
    }

    /** The answer as JSON: an empty one is null, one that is not JSON is the text as a JSON string. */
    static JsonNode json(byte[] output) {
        if (output.length == 0) {
            return NullNode.instance;
        }
        try {
            JsonNode node = JSON.readTree(output);
            return node == null || node.isMissingNode() ? NullNode.instance : node;
        } catch (IOException e) {
            return TextNode.valueOf(text(output));
        }
    }

    private static String text(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.ISO_8859_1); // bytes kept one to one
        }
    }

    private static String quoted(byte[] output) {
        return output.length == 0 ? "" : ": " + clip(text(output).strip());
    }

    private static String clip(String text) {
        return text.length() <= DETAIL_CHARS ? text : text.substring(0, DETAIL_CHARS) + "…";
    }

    private static Result failed(String type, int status, String title, String detail) {
        return new Result.Failed(new FlowError(type, status, title, detail, null));
    }
}
