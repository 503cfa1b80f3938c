package dev.arrow.flows.execution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.arrow.flows.definition.FlowDefinition;
import dev.arrow.flows.definition.FlowError;
import dev.arrow.flows.definition.RetryPolicy;
import dev.arrow.flows.definition.Step;
import dev.arrow.flows.definition.Then;
import dev.arrow.flows.definition.WaitFor;
import dev.arrow.flows.expressions.ExpressionException;
import dev.arrow.flows.expressions.Expressions;
import dev.arrow.flows.runs.FlowStore;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import dev.arrow.flows.runs.StepStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One run, walking its definition's tree on a virtual thread (and one more per fork branch or
 * concurrent iteration). Every step has a path unique in the run, the same on every walk: the
 * task's JSON pointer, with {@code @n} after a loop's task for its n-th iteration and after a try
 * for its n-th attempt (from 2), and {@code #n} for the n-th visit of a task a {@code then} came
 * back to. A step whose record says it succeeded gives its stored output without running (so a
 * resumed run skips what it did); a call cut off gets its next attempt; a timer keeps its stored end.
 */
final class RunExecution implements Runnable {

    private static final System.Logger LOG = System.getLogger(RunExecution.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** A call with no timeout of its own is bounded by this (the arrow's own limit usually ends it first). */
    static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMinutes(15);

    /** A step's output and where the flow goes next. */
    private record Outcome(JsonNode output, Then then) {
    }

    private final RunRecord run;
    private final FlowDefinition definition;
    private final Journal journal;
    private final FlowStore store;
    private final FlowCalls calls;
    private final FlowEvents events;
    private final Listens listens;
    private final Timers timers;
    private final FlowSettings settings;
    private final FlowListener listener;
    private final Consumer<RunExecution> ended;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicReference<JsonNode> context = new AtomicReference<>(NODES.objectNode());
    private final Map<Step, Boolean> exporting = new IdentityHashMap<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final Map<String, JsonNode> base;
    private volatile boolean stopping;

    RunExecution(RunRecord run, FlowDefinition definition, Journal journal, FlowStore store, FlowCalls calls,
            FlowEvents events, Listens listens, Timers timers, FlowSettings settings, FlowListener listener,
            Consumer<RunExecution> ended) {
        this.run = run;
        this.definition = definition;
        this.journal = journal;
        this.store = store;
        this.calls = calls;
        this.events = events;
        this.listens = listens;
        this.timers = timers;
        this.settings = settings;
        this.listener = listener;
        this.ended = ended;
        ObjectNode workflow = NODES.objectNode();
        workflow.put("id", run.id());
        ObjectNode described = workflow.putObject("definition");
        described.put("namespace", definition.namespace());
        described.put("name", definition.name());
        described.put("version", definition.version());
        workflow.set("input", parse(run.input()));
        ObjectNode runtime = NODES.objectNode();
        runtime.put("name", "arrow");
        this.base = Map.of("workflow", workflow, "runtime", runtime);
    }

    String id() {
        return run.id();
    }

    CompletableFuture<Void> done() {
        return done;
    }

    /** Stops the run's threads: it was cancelled (the store says so already) or the node is closing. */
    void stop() {
        stopping = true;
        threads.forEach(Thread::interrupt);
    }

    @Override
    public void run() {
        threads.add(Thread.currentThread());
        try {
            JsonNode input = parse(run.input());
            Optional<Instant> deadline = definition.timeout().map(timeout -> {
                Instant from = run.redrives() > 0 ? timers.now() : run.startedAt();
                return from.plus(timeout);
            });
            JsonNode output;
            try {
                output = deadline.isPresent()
                        ? withDeadline("", deadline.get(), () -> whole(input))
                        : whole(input);
            } catch (StepFailure failure) {
                if (stopping) {
                    return;
                }
                journal.flush();
                // The flow's own timeout is the only error raised at the root path.
                RunStatus status = failure.error().type().equals(FlowError.TIMEOUT) && failure.error().instance() != null
                        && failure.error().instance().isEmpty() ? RunStatus.TIMED_OUT : RunStatus.FAILED;
                finish(status, Optional.empty(), Optional.of(text(failure.error().toJson())));
                return;
            }
            journal.flush();
            finish(RunStatus.SUCCEEDED, Optional.of(text(output)), Optional.empty());
        } catch (RunEnded end) {
            if (end.error().isPresent() && !stopping) {
                journal.flush();
                finish(RunStatus.FAILED, Optional.empty(), Optional.of(text(end.error().get().toJson())));
            }
        } catch (InterruptedException e) {
            // Cancelled (already recorded) or the node is closing: the run resumes at the next start.
        } catch (RuntimeException e) {
            if (!stopping) {
                LOG.log(System.Logger.Level.ERROR, "flow run " + run.id() + " broke", e);
                var error = new FlowError(FlowError.RUNTIME, 500, "Executor error", String.valueOf(e.getMessage()), "");
                finish(RunStatus.FAILED, Optional.empty(), Optional.of(text(error.toJson())));
            }
        } finally {
            threads.remove(Thread.currentThread());
            ended.accept(this);
            done.complete(null);
        }
    }

    /** The flow's input shaped, its body walked, its output shaped. */
    private JsonNode whole(JsonNode input) throws StepFailure, InterruptedException {
        Map<String, JsonNode> scope = scope(base, input);
        JsonNode shaped = definition.inputFrom().isPresent()
                ? evaluate(definition.inputFrom().get(), input, scope, "/input/from")
                : input;
        Step.Sequence body = definition.body();
        Outcome outcome = list(body.steps(), shaped, body.task().path(), body.task().path(), base);
        JsonNode output = outcome.output();
        if (definition.outputAs().isPresent()) {
            output = evaluate(definition.outputAs().get(), output, scope(base, shaped), "/output/as");
        }
        return output;
    }

    private void finish(RunStatus status, Optional<String> output, Optional<String> error) {
        if (store.finish(run.id(), status, output, error, timers.now())) {
            listener.runEnded(run.flow(), status);
        }
    }

    // ---- lists --------------------------------------------------------------------------------

    /**
     * Runs a list of steps from its first. {@code at} is the list's instance path and {@code from}
     * its definition path: a step's path is {@code at} followed by what its own definition path
     * adds to {@code from}.
     */
    private Outcome list(List<Step> steps, JsonNode input, String at, String from, Map<String, JsonNode> scope)
            throws StepFailure, InterruptedException {
        JsonNode current = input;
        Map<Integer, Integer> visits = new HashMap<>();
        int index = 0;
        while (index < steps.size()) {
            Step step = steps.get(index);
            int visit = visits.merge(index, 1, Integer::sum);
            String path = childPath(at, from, step) + (visit > 1 ? "#" + visit : "");
            Outcome outcome = step(step, current, path, scope);
            current = outcome.output();
            switch (outcome.then()) {
                case Then.Continue _ -> index++;
                case Then.Exit _ -> {
                    return new Outcome(current, new Then.Continue());
                }
                case Then.End end -> {
                    return new Outcome(current, end);
                }
                case Then.GoTo goTo -> {
                    int target = indexOf(steps, goTo.task());
                    if (target < 0) {
                        return new Outcome(current, goTo);
                    }
                    index = target;
                }
            }
        }
        return new Outcome(current, new Then.Continue());
    }

    private static int indexOf(List<Step> steps, String name) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).task().name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String childPath(String at, String from, Step child) {
        String own = child.task().path();
        return own.startsWith(from) ? at + own.substring(from.length()) : at + "/" + child.task().name();
    }

    // ---- one step -----------------------------------------------------------------------------

    private Outcome step(Step step, JsonNode raw, String path, Map<String, JsonNode> outer)
            throws StepFailure, InterruptedException {
        if (stopping || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException();
        }
        var task = step.task();
        Map<String, JsonNode> scope = scope(outer, raw);
        scope.put("task", taskVariable(step, path));
        Instant started = timers.now();
        Optional<StepRecord> stored = journal.get(path);
        if (task.when().isPresent() && !test(task.when().get(), raw, scope, path)) {
            if (stored.isEmpty()) {
                journal.queue(record(step, path, 1, StepStatus.SKIPPED, raw, Optional.of(raw), Optional.empty(),
                        Optional.empty(), started, Optional.of(started)));
            }
            return new Outcome(raw, new Then.Continue());
        }
        JsonNode input = task.inputFrom().isPresent() ? evaluate(task.inputFrom().get(), raw, scope, path) : raw;
        String inputText = checkPayload(input, path, "input"); // serialized once for every record of the step
        scope.put("input", input);
        if (stored.isPresent() && stored.get().status() == StepStatus.SUCCEEDED && !exports(step)) {
            JsonNode output = parse(stored.get().output().orElse("null"));
            exportFrom(step, output, scope, path);
            return new Outcome(output, task.then());
        }
        Outcome outcome;
        try {
            Optional<Instant> deadline = deadlineOf(step, stored, started);
            if (deadline.isPresent() && !(step instanceof Step.Call) && !(step instanceof Step.Listen)) {
                Instant due = deadline.get();
                journal.write(record(step, path, 1, StepStatus.RUNNING, inputText, Optional.empty(), Optional.empty(),
                        Optional.of(due), started, Optional.empty()), false);
                outcome = withDeadline(path, due, () -> execute(step, input, path, scope, stored, deadline));
            } else {
                if (!isEffect(step)) {
                    journal.queue(record(step, path, 1, StepStatus.RUNNING, inputText, Optional.empty(), Optional.empty(),
                            deadline, started, Optional.empty()));
                }
                outcome = execute(step, input, path, scope, stored, deadline);
            }
        } catch (StepFailure failure) {
            FlowError error = failure.error().instance() == null ? failure.error().at(path) : failure.error();
            StepRecord failed = record(step, path, attempt(stored, step), StepStatus.FAILED, inputText, Optional.empty(),
                    Optional.of(text(error.toJson())), Optional.empty(), started, Optional.of(timers.now()));
            if (isEffect(step)) {
                journal.write(failed, true);
            } else {
                journal.queue(failed);
            }
            listener.stepEnded(run.flow(), kind(step), Duration.between(started, timers.now()));
            throw error == failure.error() ? failure : new StepFailure(error);
        } catch (InterruptedException e) {
            if (!stopping) {
                journal.queue(record(step, path, attempt(stored, step), StepStatus.CANCELLED, inputText, Optional.empty(),
                        Optional.empty(), Optional.empty(), started, Optional.of(timers.now())));
            }
            throw e;
        }
        JsonNode output = outcome.output();
        if (task.outputAs().isPresent()) {
            output = evaluate(task.outputAs().get(), output, scope, path);
        }
        String outputText = checkPayload(output, path, "output");
        exportFrom(step, output, scope, path);
        StepRecord succeeded = record(step, path, attempt(stored, step), StepStatus.SUCCEEDED, inputText,
                Optional.of(outputText), Optional.empty(), Optional.empty(), started, Optional.of(timers.now()));
        if (step instanceof Step.Call || step instanceof Step.Listen) {
            journal.write(succeeded, true);
        } else {
            // A wait's end needs no sync: a resumed run finds its timer over and goes on at once.
            journal.queue(succeeded);
        }
        listener.stepEnded(run.flow(), kind(step), Duration.between(started, timers.now()));
        Then then = outcome.then() instanceof Then.Continue ? task.then() : outcome.then();
        return new Outcome(output, then);
    }

    private Outcome execute(Step step, JsonNode input, String path, Map<String, JsonNode> scope,
            Optional<StepRecord> stored, Optional<Instant> deadline) throws StepFailure, InterruptedException {
        return switch (step) {
            case Step.Call call -> new Outcome(call(call, input, path, scope, stored), new Then.Continue());
            case Step.Sequence sequence -> list(sequence.steps(), input, path, sequence.task().path(), scope);
            case Step.Fork fork -> new Outcome(fork(fork, input, path, scope), new Then.Continue());
            case Step.ForEach forEach -> forEach(forEach, input, path, scope);
            case Step.Switch choice -> new Outcome(input, choose(choice, input, path, scope));
            case Step.Try attempt -> attempt(attempt, input, path, scope, stored);
            case Step.Wait wait -> new Outcome(waitFor(wait, input, path, scope, stored), new Then.Continue());
            case Step.Raise raise -> throw new StepFailure(raised(raise, input, path, scope));
            case Step.Set set -> new Outcome(evaluate(set.value(), input, scope, path), new Then.Continue());
            case Step.Listen listen -> new Outcome(listen(listen, input, path, stored, deadline), new Then.Continue());
        };
    }

    /** Steps whose records must reach the disk before the run goes on: they did something, or started a timer. */
    private static boolean isEffect(Step step) {
        return step instanceof Step.Call || step instanceof Step.Wait || step instanceof Step.Listen;
    }

    private Optional<Instant> deadlineOf(Step step, Optional<StepRecord> stored, Instant now) {
        if (step.task().timeout().isEmpty()) {
            return Optional.empty();
        }
        if (stored.isPresent() && !stored.get().status().ended() && stored.get().dueAt().isPresent()
                && !(step instanceof Step.Call)) {
            return stored.get().dueAt();
        }
        return Optional.of(now.plus(step.task().timeout().get()));
    }

    // ---- calls --------------------------------------------------------------------------------

    private JsonNode call(Step.Call call, JsonNode input, String path, Map<String, JsonNode> scope,
            Optional<StepRecord> stored) throws StepFailure, InterruptedException {
        if (stored.isPresent() && stored.get().status() == StepStatus.FAILED
                && stored.get().redrive() == journal.redrive()) {
            // It failed before a restart, and what came after (a retry, a catch) is walked again from here.
            throw new StepFailure(FlowError.fromJson(parse(stored.get().error().orElse("{}")), path));
        }
        int attempt = stored.map(record -> record.attempt() + 1).orElse(1);
        JsonNode body = call.input().isPresent() ? evaluate(call.input().get(), input, scope, path) : input;
        checkPayload(body, path, "call input");
        Duration timeout = call.task().timeout().orElse(DEFAULT_CALL_TIMEOUT);
        Instant started = timers.now();
        journal.write(record(call, path, attempt, StepStatus.RUNNING, input, Optional.empty(), Optional.empty(),
                Optional.of(started.plus(timeout)), started, Optional.empty()), false);
        String key = run.id() + ":" + path + ":" + attempt;
        while (true) {
            FlowCalls.Result result = calls.call(call.arrow(), body, key, timeout);
            if (stopping) {
                // Cancelled or closing while the call ran: whatever it says, the next start calls it again.
                throw new InterruptedException();
            }
            switch (result) {
                case FlowCalls.Result.Succeeded succeeded -> {
                    return succeeded.output();
                }
                case FlowCalls.Result.Failed failed -> throw new StepFailure(failed.error().at(path));
                case FlowCalls.Result.Busy _ -> Thread.sleep(settings.busyRetry());
            }
        }
    }

    private int attempt(Optional<StepRecord> stored, Step step) {
        if (!(step instanceof Step.Call)) {
            return 1;
        }
        return stored.map(record -> record.status() == StepStatus.FAILED && record.redrive() == journal.redrive()
                ? record.attempt() : record.attempt() + 1).orElse(1);
    }

    // ---- fork ---------------------------------------------------------------------------------

    private JsonNode fork(Step.Fork fork, JsonNode input, String path, Map<String, JsonNode> scope)
            throws StepFailure, InterruptedException {
        int count = fork.branches().size();
        List<CompletableFuture<JsonNode>> results = new ArrayList<>(count);
        List<Thread> branches = new ArrayList<>(count);
        for (Step branch : fork.branches()) {
            var result = new CompletableFuture<JsonNode>();
            results.add(result);
            String branchPath = childPath(path, fork.task().path(), branch);
            branches.add(spawn(branchPath, () -> {
                try {
                    result.complete(step(branch, input, branchPath, scope).output());
                } catch (Throwable failure) {
                    result.completeExceptionally(failure);
                }
            }));
        }
        try {
            if (fork.compete()) {
                return compete(results, branches);
            }
            ArrayNode outputs = NODES.arrayNode();
            var all = CompletableFuture.allOf(results.toArray(CompletableFuture[]::new));
            // The first failure ends the wait: the other branches are cancelled.
            var firstFailure = new CompletableFuture<Void>();
            results.forEach(result -> result.whenComplete((value, failure) -> {
                if (failure != null) {
                    firstFailure.completeExceptionally(failure);
                }
            }));
            try {
                CompletableFuture.anyOf(all, firstFailure).get();
            } catch (ExecutionException e) {
                throw unwrap(e.getCause());
            }
            for (CompletableFuture<JsonNode> result : results) {
                outputs.add(result.getNow(null));
            }
            return outputs;
        } finally {
            for (Thread branch : branches) {
                branch.interrupt();
            }
            for (Thread branch : branches) {
                branch.join();
            }
        }
    }

    private JsonNode compete(List<CompletableFuture<JsonNode>> results, List<Thread> branches)
            throws StepFailure, InterruptedException {
        var winner = new CompletableFuture<JsonNode>();
        var failures = new java.util.concurrent.atomic.AtomicInteger();
        for (CompletableFuture<JsonNode> result : results) {
            result.whenComplete((value, failure) -> {
                if (failure == null) {
                    winner.complete(value);
                } else if (failures.incrementAndGet() == results.size()) {
                    winner.completeExceptionally(failure);
                }
            });
        }
        try {
            return winner.get();
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    private Thread spawn(String path, Runnable body) {
        Thread thread = Thread.ofVirtual().name("flow-" + run.id() + path).unstarted(() -> {
            try {
                body.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        });
        threads.add(thread);
        thread.start();
        return thread;
    }

    /** The failure a branch or an iteration ended with, thrown again on the fork's thread. */
    private static StepFailure unwrap(Throwable failure) throws InterruptedException {
        return switch (failure) {
            case StepFailure stepFailure -> stepFailure;
            case InterruptedException interrupted -> throw interrupted;
            case RunEnded ended -> throw ended;
            case RuntimeException runtime -> throw runtime;
            case Error error -> throw error;
            default -> throw new IllegalStateException(failure);
        };
    }

    // ---- for ----------------------------------------------------------------------------------

    private Outcome forEach(Step.ForEach loop, JsonNode input, String path, Map<String, JsonNode> scope)
            throws StepFailure, InterruptedException {
        JsonNode items = query(loop.in(), input, scope, path);
        if (items.isNull()) {
            items = NODES.arrayNode();
        }
        if (!items.isArray()) {
            throw new StepFailure(new FlowError(FlowError.EXPRESSION, 400, "Not a list",
                    "for.in '" + Expressions.unwrap(loop.in()) + "' gave " + Expressions.shape(items)
                            + ", not an array", path));
        }
        String from = loop.task().path();
        if (loop.maxConcurrency().isPresent()) {
            return new Outcome(concurrently(loop, (ArrayNode) items, input, path, from, scope), new Then.Continue());
        }
        JsonNode current = input;
        for (int index = 0; index < items.size(); index++) {
            Map<String, JsonNode> iteration = iterationScope(loop, scope, items.get(index), index);
            if (loop.whileCondition().isPresent() && !test(loop.whileCondition().get(), current, iteration, path)) {
                break;
            }
            Outcome outcome = list(loop.body().steps(), iterationInput(loop, current, iteration, path),
                    path + "@" + index, from, iteration);
            current = outcome.output();
            if (!(outcome.then() instanceof Then.Continue)) {
                return outcome;
            }
        }
        return new Outcome(current, new Then.Continue());
    }

    private JsonNode concurrently(Step.ForEach loop, ArrayNode items, JsonNode input, String path, String from,
            Map<String, JsonNode> scope) throws StepFailure, InterruptedException {
        var slots = new Semaphore(Math.max(1, loop.maxConcurrency().get()));
        List<CompletableFuture<JsonNode>> results = new ArrayList<>(items.size());
        List<Thread> running = new ArrayList<>();
        var failed = new CompletableFuture<Void>();
        try {
            for (int index = 0; index < items.size() && !failed.isDone(); index++) {
                Map<String, JsonNode> iteration = iterationScope(loop, scope, items.get(index), index);
                if (loop.whileCondition().isPresent() && !test(loop.whileCondition().get(), input, iteration, path)) {
                    break;
                }
                slots.acquire();
                var result = new CompletableFuture<JsonNode>();
                results.add(result);
                String base = path + "@" + index;
                JsonNode start = iterationInput(loop, input, iteration, path);
                running.add(spawn(base, () -> {
                    try {
                        result.complete(list(loop.body().steps(), start, base, from, iteration).output());
                    } catch (Throwable failure) {
                        result.completeExceptionally(failure);
                        failed.complete(null);
                    } finally {
                        slots.release();
                    }
                }));
            }
            ArrayNode outputs = NODES.arrayNode();
            for (CompletableFuture<JsonNode> result : results) {
                try {
                    outputs.add(result.get());
                } catch (ExecutionException e) {
                    throw unwrap(e.getCause());
                }
            }
            return outputs;
        } finally {
            for (Thread thread : running) {
                thread.interrupt();
            }
            for (Thread thread : running) {
                thread.join();
            }
        }
    }

    /** An iteration's input: the body's own {@code input.from} (States Language's ItemSelector) on the loop's. */
    private JsonNode iterationInput(Step.ForEach loop, JsonNode input, Map<String, JsonNode> iteration, String path)
            throws StepFailure {
        Optional<JsonNode> from = loop.body().task().inputFrom();
        return from.isPresent() ? evaluate(from.get(), input, iteration, path) : input;
    }

    private static Map<String, JsonNode> iterationScope(Step.ForEach loop, Map<String, JsonNode> scope, JsonNode item,
            int index) {
        Map<String, JsonNode> iteration = new HashMap<>(scope);
        iteration.put(loop.each(), item);
        iteration.put(loop.at(), NODES.numberNode(index));
        return iteration;
    }

    // ---- switch -------------------------------------------------------------------------------

    private Then choose(Step.Switch choice, JsonNode input, String path, Map<String, JsonNode> scope)
            throws StepFailure {
        for (Step.Switch.Case option : choice.cases()) {
            if (option.when().isEmpty() || test(option.when().get(), input, scope, path)) {
                return option.then();
            }
        }
        return new Then.Continue();
    }

    // ---- try, catch, retry --------------------------------------------------------------------

    private Outcome attempt(Step.Try attempt, JsonNode input, String path, Map<String, JsonNode> scope,
            Optional<StepRecord> stored) throws StepFailure, InterruptedException {
        String from = attempt.task().path();
        Step.Catch handler = attempt.handler();
        Instant firstStart = stored.map(StepRecord::startedAt).orElse(timers.now());
        for (int number = 1;; number++) {
            String base = number == 1 ? path : path + "@" + number;
            StepFailure failure;
            try {
                return list(attempt.body().steps(), input, base, from, scope);
            } catch (StepFailure caught) {
                failure = caught;
            }
            FlowError error = failure.error();
            Map<String, JsonNode> caughtScope = new HashMap<>(scope);
            caughtScope.put(handler.as(), error.toJson());
            JsonNode errorNode = error.toJson();
            boolean matches = handler.errors().matches(error)
                    && (handler.when().isEmpty() || test(handler.when().get(), errorNode, caughtScope, path))
                    && (handler.exceptWhen().isEmpty() || !test(handler.exceptWhen().get(), errorNode, caughtScope, path));
            if (!matches) {
                throw failure;
            }
            if (handler.retry().isPresent() && retry(handler.retry().get(), number, firstStart, path)) {
                continue;
            }
            if (handler.body().isEmpty()) {
                return new Outcome(input, new Then.Continue());
            }
            Step.Sequence body = handler.body().get();
            Outcome handled = list(body.steps(), input, childPath(path, from, body), body.task().path(), caughtScope);
            Then then = body.task().then() instanceof Then.Continue ? handled.then() : body.task().then();
            return new Outcome(handled.output(), then);
        }
    }

    /** Waits out the delay before retry {@code number} and says true, or says false when the limits are spent. */
    private boolean retry(RetryPolicy policy, int number, Instant firstStart, String path) throws InterruptedException {
        if (policy.attempts().isPresent() && number >= policy.attempts().get()) {
            return false;
        }
        String timerPath = path + "/retry@" + number;
        Optional<StepRecord> timer = journal.get(timerPath);
        Instant due;
        Instant now = timers.now();
        if (timer.isPresent() && timer.get().dueAt().isPresent()) {
            due = timer.get().dueAt().get();
        } else {
            Duration delay = policy.delayBefore(number).plus(jitter(policy));
            due = now.plus(delay);
            if (policy.within().isPresent() && due.isAfter(firstStart.plus(policy.within().get()))) {
                return false;
            }
            journal.write(new StepRecord(run.id(), timerPath, "retry", number, StepStatus.WAITING, "null",
                    Optional.empty(), Optional.empty(), Optional.of(due), now, Optional.empty(), journal.redrive()), true);
        }
        timers.sleepUntil(due);
        if (timer.isEmpty() || timer.get().status() != StepStatus.SUCCEEDED) {
            journal.queue(new StepRecord(run.id(), timerPath, "retry", number, StepStatus.SUCCEEDED, "null",
                    Optional.of("null"), Optional.empty(), Optional.of(due), timer.map(StepRecord::startedAt).orElse(now),
                    Optional.of(timers.now()), journal.redrive()));
        }
        return true;
    }

    private static Duration jitter(RetryPolicy policy) {
        long from = policy.jitterFrom().toMillis();
        long to = policy.jitterTo().toMillis();
        return to <= from ? Duration.ofMillis(from) : Duration.ofMillis(ThreadLocalRandom.current().nextLong(from, to + 1));
    }

    // ---- wait, raise, listen ------------------------------------------------------------------

    private JsonNode waitFor(Step.Wait wait, JsonNode input, String path, Map<String, JsonNode> scope,
            Optional<StepRecord> stored) throws StepFailure, InterruptedException {
        Instant due;
        if (stored.isPresent() && stored.get().status() == StepStatus.WAITING && stored.get().dueAt().isPresent()) {
            due = stored.get().dueAt().get();
        } else {
            Instant now = timers.now();
            due = switch (wait.waitFor()) {
                case WaitFor.Fixed fixed -> now.plus(fixed.duration());
                case WaitFor.SecondsFrom seconds -> {
                    JsonNode value = query(seconds.expression(), input, scope, path);
                    if (!value.isNumber() || value.asDouble() < 0) {
                        throw new StepFailure(new FlowError(FlowError.EXPRESSION, 400, "Not a number of seconds",
                                "'" + Expressions.unwrap(seconds.expression()) + "' gave " + Expressions.shape(value)
                                        + ", not a number of seconds at least 0", path));
                    }
                    yield now.plus(Duration.ofMillis((long) (value.asDouble() * 1000)));
                }
                case WaitFor.Until until -> {
                    JsonNode value = query(until.expression(), input, scope, path);
                    try {
                        yield Instant.parse(value.asText());
                    } catch (DateTimeParseException e) {
                        throw new StepFailure(new FlowError(FlowError.EXPRESSION, 400, "Not a timestamp",
                                "'" + Expressions.unwrap(until.expression()) + "' gave " + Expressions.shape(value)
                                        + ", not an ISO 8601 timestamp", path));
                    }
                }
            };
            if (Duration.between(now, due).compareTo(WaitFor.MAX) > 0) {
                throw new StepFailure(new FlowError(FlowError.VALIDATION, 400, "Wait too long",
                        "a wait may last at most 30 days; this one ends at " + due, path));
            }
            journal.write(record(wait, path, 1, StepStatus.WAITING, input, Optional.empty(), Optional.empty(),
                    Optional.of(due), now, Optional.empty()), true);
        }
        timers.sleepUntil(due);
        return input;
    }

    private FlowError raised(Step.Raise raise, JsonNode input, String path, Map<String, JsonNode> scope)
            throws StepFailure {
        JsonNode error = evaluate(raise.error(), input, scope, path);
        if (!error.isObject() || !error.hasNonNull("type") || !error.path("status").canConvertToInt()) {
            return new FlowError(FlowError.VALIDATION, 400, "Invalid error",
                    "raise gave " + Expressions.shape(error) + "; an error needs a type and a status", path);
        }
        return FlowError.fromJson(error, path);
    }

    private JsonNode listen(Step.Listen listen, JsonNode input, String path, Optional<StepRecord> stored,
            Optional<Instant> deadline) throws StepFailure, InterruptedException {
        Instant since;
        Optional<Instant> due;
        if (stored.isPresent() && stored.get().status() == StepStatus.WAITING) {
            since = stored.get().startedAt();
            due = stored.get().dueAt();
        } else {
            since = timers.now();
            due = deadline;
            journal.write(record(listen, path, 1, StepStatus.WAITING, input, Optional.empty(), Optional.empty(), due,
                    since, Optional.empty()), true);
        }
        Listens.Waiter waiter = listens.register(listen.attributes());
        try {
            Optional<JsonNode> early = events.firstSince(since, listen.attributes());
            if (early.isPresent()) {
                return consumed(listen, early.get());
            }
            while (true) {
                Duration nap = Timers.MAX_NAP;
                if (due.isPresent()) {
                    Duration left = Duration.between(timers.now(), due.get());
                    if (left.isNegative() || left.isZero()) {
                        throw new StepFailure(new FlowError(FlowError.TIMEOUT, 408, "Listen timed out",
                                "no event with " + listen.attributes() + " came before " + due.get(), path));
                    }
                    nap = left.compareTo(nap) < 0 ? left : nap;
                }
                try {
                    return consumed(listen, waiter.event().get(Math.max(1, nap.toMillis()), TimeUnit.MILLISECONDS));
                } catch (TimeoutException e) {
                    // look at the clock again
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            listens.unregister(waiter);
        }
    }

    /** The DSL's listen output: the array of the events consumed, each read as the task says. */
    private static JsonNode consumed(Step.Listen listen, JsonNode event) {
        ArrayNode output = NODES.arrayNode();
        output.add(listen.read() == Step.Listen.Read.DATA ? event.path("data").deepCopy() : event);
        return output;
    }

    // ---- deadlines ----------------------------------------------------------------------------

    /** A part of the walk that may take too long: runs on a thread of its own, interrupted at the deadline. */
    private interface Timed<T> {
        T run() throws StepFailure, InterruptedException;
    }

    private <T> T withDeadline(String path, Instant deadline, Timed<T> work) throws StepFailure, InterruptedException {
        var result = new CompletableFuture<T>();
        Thread worker = spawn(path + "/timed", () -> {
            try {
                result.complete(work.run());
            } catch (Throwable failure) {
                result.completeExceptionally(failure);
            }
        });
        try {
            while (true) {
                Duration left = Duration.between(timers.now(), deadline);
                if (left.isNegative() || left.isZero()) {
                    worker.interrupt();
                    worker.join();
                    if (result.isDone() && !result.isCompletedExceptionally()) {
                        return result.getNow(null);
                    }
                    throw new StepFailure(new FlowError(FlowError.TIMEOUT, 408, "Timed out",
                            "the task did not end before " + deadline, path));
                }
                Duration nap = left.compareTo(Timers.MAX_NAP) < 0 ? left : Timers.MAX_NAP;
                try {
                    return result.get(Math.max(1, nap.toMillis()), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // look at the clock again
                } catch (ExecutionException e) {
                    throw unwrap(e.getCause());
                }
            }
        } finally {
            worker.interrupt();
        }
    }

    // ---- expressions, context, records --------------------------------------------------------

    private Map<String, JsonNode> scope(Map<String, JsonNode> outer, JsonNode input) {
        Map<String, JsonNode> scope = new HashMap<>(outer);
        scope.put("context", context.get());
        scope.put("input", input);
        return scope;
    }

    private static JsonNode taskVariable(Step step, String path) {
        ObjectNode task = NODES.objectNode();
        task.put("name", step.task().name());
        task.put("reference", path);
        return task;
    }

    private void exportFrom(Step step, JsonNode output, Map<String, JsonNode> scope, String path) throws StepFailure {
        if (step.task().exportAs().isPresent()) {
            Map<String, JsonNode> withOutput = new HashMap<>(scope);
            withOutput.put("output", output);
            withOutput.put("context", context.get());
            context.set(evaluate(step.task().exportAs().get(), output, withOutput, path));
        }
    }

    /** True when the step or one inside it changes the context: it must be walked again, not taken from its record. */
    private boolean exports(Step step) {
        Boolean known = exporting.get(step);
        if (known != null) {
            return known;
        }
        boolean result = step.task().exportAs().isPresent() || switch (step) {
            case Step.Sequence sequence -> sequence.steps().stream().anyMatch(this::exports);
            case Step.Fork fork -> fork.branches().stream().anyMatch(this::exports);
            case Step.ForEach loop -> exports(loop.body());
            case Step.Try attempt -> exports(attempt.body()) || attempt.handler().body().map(this::exports).orElse(false);
            default -> false;
        };
        exporting.put(step, result);
        return result;
    }

    private JsonNode evaluate(JsonNode template, JsonNode input, Map<String, JsonNode> scope, String path)
            throws StepFailure {
        try {
            return Expressions.evaluate(template, input, scope);
        } catch (ExpressionException e) {
            throw expressionFailure(e, path);
        }
    }

    private JsonNode query(String expression, JsonNode input, Map<String, JsonNode> scope, String path)
            throws StepFailure {
        try {
            return Expressions.query(expression, input, scope);
        } catch (ExpressionException e) {
            throw expressionFailure(e, path);
        }
    }

    private boolean test(String expression, JsonNode input, Map<String, JsonNode> scope, String path)
            throws StepFailure {
        try {
            return Expressions.test(expression, input, scope);
        } catch (ExpressionException e) {
            throw expressionFailure(e, path);
        }
    }

    private static StepFailure expressionFailure(ExpressionException e, String path) {
        return new StepFailure(new FlowError(FlowError.EXPRESSION, 400, "Expression failed", e.getMessage(), path));
    }

    /** The value as JSON text, checked against the payload limit. */
    private String checkPayload(JsonNode value, String path, String what) throws StepFailure {
        int limit = settings.maxPayloadBytes();
        // A cheap bound first: most payloads are far below the limit.
        String text = text(value);
        if (text.length() > limit / 4 && text.getBytes(StandardCharsets.UTF_8).length > limit) {
            throw new StepFailure(new FlowError(FlowError.RUNTIME, 413, "Payload too large",
                    "the step's " + what + " is " + text.getBytes(StandardCharsets.UTF_8).length
                            + " bytes of JSON; a step's input and output are at most " + limit, path));
        }
        return text;
    }

    private StepRecord record(Step step, String path, int attempt, StepStatus status, JsonNode input,
            Optional<JsonNode> output, Optional<String> error, Optional<Instant> due, Instant started,
            Optional<Instant> endedAt) {
        return record(step, path, attempt, status, text(input), output.map(RunExecution::text), error, due, started,
                endedAt);
    }

    private StepRecord record(Step step, String path, int attempt, StepStatus status, String input,
            Optional<String> output, Optional<String> error, Optional<Instant> due, Instant started,
            Optional<Instant> endedAt) {
        return new StepRecord(run.id(), path, kind(step), attempt, status, input, output, error, due, started, endedAt,
                journal.redrive());
    }

    static String kind(Step step) {
        return switch (step) {
            case Step.Call _ -> "call";
            case Step.Sequence _ -> "do";
            case Step.Fork _ -> "fork";
            case Step.ForEach _ -> "for";
            case Step.Switch _ -> "switch";
            case Step.Try _ -> "try";
            case Step.Wait _ -> "wait";
            case Step.Raise _ -> "raise";
            case Step.Set _ -> "set";
            case Step.Listen _ -> "listen";
        };
    }

    static String text(JsonNode value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(text);
        }
    }
}
