package dev.arrow.flows.definition;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arrow.flows.expressions.ExpressionException;
import dev.arrow.flows.expressions.Expressions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** The checks a definition passes at deploy, whichever language it was read from. */
public final class Definitions {

    private Definitions() {
    }

    /**
     * Checks every jq expression compiles, every {@code then} names a task of its own list, no
     * {@code then} directives form a cycle on their own (a loop must pass through a switch), every
     * called arrow exists, and waits are at most {@link WaitFor#MAX}. The first fault is thrown
     * with its task's path.
     */
    public static void validate(FlowDefinition definition, Predicate<String> arrowExists) throws DefinitionException {
        template(definition.inputFrom(), "/input/from");
        template(definition.outputAs(), "/output/as");
        Walk walk = new Walk(arrowExists);
        walk.list(definition.body(), null, null);
        walk.cycles();
    }

    private static void template(Optional<JsonNode> template, String path) throws DefinitionException {
        if (template.isPresent()) {
            try {
                Expressions.checkTemplate(template.get());
            } catch (ExpressionException e) {
                throw new DefinitionException(path, e.getMessage());
            }
        }
    }

    private static void expression(Optional<String> expression, String path) throws DefinitionException {
        if (expression.isPresent()) {
            expression(expression.get(), path);
        }
    }

    private static void expression(String expression, String path) throws DefinitionException {
        try {
            Expressions.check(expression);
        } catch (ExpressionException e) {
            throw new DefinitionException(path, e.getMessage());
        }
    }

    /**
     * One task list: its steps, the list it is nested in, and the step that owns it when the
     * owner's {@code then} applies once the list ends ({@code do}, {@code try}, a catch's body);
     * null for the flow's body, a {@code for} body and a fork's branches, which end there.
     */
    private record Scope(List<Step> steps, Scope parent, Step owner) {

        Optional<Position> find(String name) {
            for (Scope scope = this; scope != null; scope = scope.parent()) {
                for (int i = 0; i < scope.steps().size(); i++) {
                    if (scope.steps().get(i).task().name().equals(name)) {
                        return Optional.of(new Position(scope, i));
                    }
                }
            }
            return Optional.empty();
        }
    }

    private record Position(Scope scope, int index) {
    }

    /** The walk over every step: the per-step checks, then the cycle check over the positions it recorded. */
    private static final class Walk {

        private final Predicate<String> arrowExists;
        private final Map<Step, Position> positions = new IdentityHashMap<>();
        private final List<Step> order = new ArrayList<>();

        Walk(Predicate<String> arrowExists) {
            this.arrowExists = arrowExists;
        }

        void list(Step.Sequence sequence, Scope parent, Step owner) throws DefinitionException {
            list(sequence.steps(), parent, owner);
        }

        void list(List<Step> steps, Scope parent, Step owner) throws DefinitionException {
            Scope scope = new Scope(steps, parent, owner);
            Set<String> names = new HashSet<>();
            for (Step step : steps) {
                if (!names.add(step.task().name())) {
                    throw new DefinitionException(step.task().path(), "another task of this list is named '"
                            + step.task().name() + "' too; a then could not tell them apart");
                }
            }
            for (int i = 0; i < steps.size(); i++) {
                positions.put(steps.get(i), new Position(scope, i));
                order.add(steps.get(i));
            }
            for (Step step : steps) {
                step(step, scope);
            }
        }

        private void step(Step step, Scope scope) throws DefinitionException {
            Task task = step.task();
            String path = task.path();
            expression(task.when(), path);
            template(task.inputFrom(), path);
            template(task.outputAs(), path);
            template(task.exportAs(), path);
            target(task.then(), scope, path);
            if (task.timeout().isPresent() && (task.timeout().get().isNegative() || task.timeout().get().isZero())) {
                throw new DefinitionException(path, "a timeout must be longer than zero");
            }
            switch (step) {
                case Step.Call call -> {
                    if (!arrowExists.test(call.arrow())) {
                        throw new DefinitionException(path, "the arrow '" + call.arrow() + "' does not exist");
                    }
                    template(call.input(), path);
                }
                case Step.Sequence sequence -> list(sequence, scope, sequence);
                case Step.Fork fork -> list(fork.branches(), scope, null);
                case Step.ForEach forEach -> {
                    expression(forEach.in(), path);
                    expression(forEach.whileCondition(), path);
                    if (forEach.maxConcurrency().isPresent() && forEach.maxConcurrency().get() < 1) {
                        throw new DefinitionException(path, "maxConcurrency must be at least 1");
                    }
                    list(forEach.body(), scope, null);
                }
                case Step.Switch choice -> {
                    for (Step.Switch.Case branch : choice.cases()) {
                        expression(branch.when(), path);
                        target(branch.then(), scope, path);
                    }
                }
                case Step.Try attempt -> {
                    list(attempt.body(), scope, attempt);
                    Step.Catch handler = attempt.handler();
                    expression(handler.when(), path);
                    expression(handler.exceptWhen(), path);
                    if (handler.body().isPresent()) {
                        list(handler.body().get(), scope, attempt);
                    }
                }
                case Step.Wait wait -> {
                    switch (wait.waitFor()) {
                        case WaitFor.Fixed fixed -> {
                            if (fixed.duration().compareTo(WaitFor.MAX) > 0) {
                                throw new DefinitionException(path, "a wait is at most " + WaitFor.MAX.toDays()
                                        + " days; this one is " + fixed.duration());
                            }
                            if (fixed.duration().isNegative()) {
                                throw new DefinitionException(path, "a wait cannot be negative");
                            }
                        }
                        case WaitFor.SecondsFrom seconds -> expression(seconds.expression(), path);
                        case WaitFor.Until until -> expression(until.expression(), path);
                    }
                }
                case Step.Raise raise -> template(Optional.of(raise.error()), path);
                case Step.Set set -> template(Optional.of(set.value()), path);
                case Step.Listen _ -> {
                }
            }
        }

        private static void target(Then then, Scope scope, String path) throws DefinitionException {
            if (then instanceof Then.GoTo(String name) && scope.find(name).isEmpty()) {
                throw new DefinitionException(path, "then: '" + name
                        + "' names no task of this list or of a list it is in");
            }
        }

        /**
         * Each step but a switch or a raise has at most one successor by its {@code then} alone, so
         * the steps form a functional graph: a walk that meets a step still on its own path has
         * found a cycle. Entering a {@code do} or a {@code try} goes to its first step; a
         * {@code for} or a fork runs its body apart (their ends lead nowhere), then goes on by its
         * own {@code then}.
         */
        void cycles() throws DefinitionException {
            Map<Step, Integer> state = new IdentityHashMap<>();
            for (Step start : order) {
                List<Step> path = new ArrayList<>();
                Step current = start;
                while (current != null && !state.containsKey(current)) {
                    state.put(current, 1);
                    path.add(current);
                    current = successor(current);
                }
                if (current != null && state.get(current) == 1) {
                    List<String> names = new ArrayList<>();
                    for (Step step : path.subList(path.indexOf(current), path.size())) {
                        names.add(step.task().name());
                    }
                    names.add(current.task().name());
                    throw new DefinitionException(current.task().path(), "the then directives loop without passing"
                            + " a switch, so the flow would never end: " + String.join(" -> ", names));
                }
                for (Step step : path) {
                    state.put(step, 2);
                }
            }
        }

        private Step successor(Step step) {
            return switch (step) {
                case Step.Switch _, Step.Raise _ -> null;
                case Step.Sequence sequence when !sequence.steps().isEmpty() -> sequence.steps().getFirst();
                case Step.Try attempt when !attempt.body().steps().isEmpty() -> attempt.body().steps().getFirst();
                default -> after(step, step.task().then());
            };
        }

        /** Where {@code then} leads from {@code step}, or null when it leads out of the run or of a body that ends there. */
        private Step after(Step step, Then then) {
            Position position = positions.get(step);
            if (position == null) {
                return null;
            }
            Scope scope = position.scope();
            return switch (then) {
                case Then.End _ -> null;
                case Then.Exit _ -> end(scope);
                case Then.Continue _ -> position.index() + 1 < scope.steps().size()
                        ? scope.steps().get(position.index() + 1) : end(scope);
                case Then.GoTo(String name) -> scope.find(name)
                        .map(target -> target.scope().steps().get(target.index())).orElse(null);
            };
        }

        private Step end(Scope scope) {
            return scope.owner() == null ? null : after(scope.owner(), scope.owner().task().then());
        }
    }
}
