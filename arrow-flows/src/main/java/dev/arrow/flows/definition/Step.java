package dev.arrow.flows.definition;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One task of a flow: the closed set of kinds Arrow runs. Both the DSL reader and the States
 * Language importer produce these, and the executor knows no other.
 */
public sealed interface Step {

    Task task();

    /** Runs an arrow: its input is {@code input} (a template on the task's input), or the task's input itself. */
    record Call(Task task, String arrow, Optional<JsonNode> input) implements Step {
        public Call {
            Objects.requireNonNull(arrow, "arrow");
        }
    }

    /** Runs its steps in order, each taking the previous one's output; a {@code then} may jump within the list. */
    record Sequence(Task task, List<Step> steps) implements Step {
        public Sequence {
            steps = List.copyOf(steps);
        }
    }

    /**
     * Runs its branches at once, each on the fork's input. Without {@code compete} the output is
     * the array of the branches' outputs, in their order, and one failing fails the fork (the
     * others are cancelled); with it, the first branch to succeed gives the output and the others
     * are cancelled.
     */
    record Fork(Task task, List<Step> branches, boolean compete) implements Step {
        public Fork {
            branches = List.copyOf(branches);
        }
    }

    /**
     * Runs {@code body} for each item of the list {@code in} evaluates to, with the item in the
     * variable {@code $each} and its index in {@code $at}, while {@code whileCondition} holds.
     * Sequential (no {@code maxConcurrency}): as the DSL says, each iteration's output is the next
     * one's input and the last one's is the task's. With Arrow's {@code maxConcurrency} (a map,
     * as States Language's Map state): up to that many iterations at once, each on the task's
     * input, and the task's output is the array of their outputs in the list's order. The body's
     * own {@code inputFrom}, when it has one, shapes each iteration's input (States Language's
     * ItemSelector), with the item and index in scope.
     */
    record ForEach(Task task, String each, String at, String in, Optional<String> whileCondition, Sequence body,
            Optional<Integer> maxConcurrency) implements Step {
    }

    /** The first case whose {@code when} holds (a case without one is the default) gives the next directive. */
    record Switch(Task task, List<Case> cases) implements Step {
        public Switch {
            cases = List.copyOf(cases);
        }

        /** One case: its name, its condition (empty for the default), where it goes. */
        public record Case(String name, Optional<String> when, Then then) {
        }
    }

    /** Runs {@code body}; an error it raises that {@code handler} catches is retried or handled there. */
    record Try(Task task, Sequence body, Catch handler) implements Step {
    }

    /**
     * What a {@code try} catches and what it does then. An error matches when {@code errors}
     * matches it, {@code when} holds and {@code exceptWhen} does not (both see the error in the
     * variable named {@code as}). A matched error is retried by {@code retry} while its limits
     * allow, then handled by {@code body} (whose output is the try's), or, with no body, swallowed
     * with the try's input as its output.
     */
    record Catch(ErrorFilter errors, String as, Optional<String> when, Optional<String> exceptWhen,
            Optional<RetryPolicy> retry, Optional<Sequence> body) {
    }

    /** Waits, then outputs its input unchanged; the timer is stored and survives restarts. */
    record Wait(Task task, WaitFor waitFor) implements Step {
    }

    /** Fails with an error; {@code error} is a template that must give the spec's error object. */
    record Raise(Task task, JsonNode error) implements Step {
    }

    /** Outputs {@code value}, a template evaluated on the task's input. */
    record Set(Task task, JsonNode value) implements Step {
    }

    /**
     * Waits for one CloudEvent whose attributes equal {@code attributes} (the DSL's
     * {@code listen: to: one: with}), accepted by the node after the task started. As the DSL
     * says, the output is the array of the events consumed (here one), each read as {@code read}
     * says: its data (the default) or the whole event as structured JSON. The task's timeout
     * bounds the wait.
     */
    record Listen(Task task, java.util.Map<String, String> attributes, Read read) implements Step {
        public Listen {
            attributes = java.util.Map.copyOf(attributes);
        }

        /** How a consumed event is read: the DSL's {@code listen.read} ({@code raw} is not supported). */
        public enum Read { DATA, ENVELOPE }
    }
}
