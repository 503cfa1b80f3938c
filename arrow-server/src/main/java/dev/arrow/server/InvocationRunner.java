package dev.arrow.server;

import dev.arrow.events.broker.ArrowRunner;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.OverloadedException;
import dev.arrow.platform.PlatformException;
import dev.arrow.platform.arrows.Mode;
import dev.arrow.platform.invocations.CompletedInvocation;
import dev.arrow.platform.invocations.Execution;
import dev.arrow.platform.invocations.InvocationService;
import dev.arrow.platform.invocations.RunError;
import dev.arrow.platform.invocations.Trigger;
import java.util.Map;
import java.util.Optional;

/** The events layer's runs, as invocations of the node: exec with the body on stdin, http a POST to a warm instance. */
final class InvocationRunner implements ArrowRunner {

    private final InvocationService invocations;

    InvocationRunner(InvocationService invocations) {
        this.invocations = invocations;
    }

    @Override
    public Optional<Mode> mode(String arrow) {
        try {
            return Optional.of(invocations.mode(arrow));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public Result run(String arrow, Trigger trigger, Map<String, String> headers, byte[] body) throws InterruptedException {
        CompletedInvocation done;
        try {
            done = invocations.deliver(arrow, trigger, headers, body);
        } catch (OverloadedException e) {
            return new Result.Busy();
        } catch (PlatformException e) {
            return new Result.Failed(e.getMessage());
        }
        Execution execution = done.execution();
        // An http arrow that answers other than 2xx did not take the event (as Knative counts it):
        // it is retried, then dead-lettered, rather than counted delivered.
        if (execution.succeeded() && done.status() != 0 && done.status() / 100 != 2) {
            return new Result.Failed("the arrow answered with status " + done.status() + " (invocation " + done.record().id() + ")");
        }
        if (execution.succeeded()) {
            return new Result.Succeeded(done.output(), done.headers());
        }
        String why = execution.error().map(RunError::message)
                .orElseGet(() -> execution.outcome() instanceof dev.arrow.sandbox.Outcome.Exited(int code)
                        ? "the arrow exited with " + code : "the arrow ended: " + execution.outcome().name());
        return new Result.Failed(why + " (invocation " + done.record().id() + ")");
    }
}
