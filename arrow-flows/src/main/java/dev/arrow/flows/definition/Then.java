package dev.arrow.flows.definition;

/** A task's {@code then}: the DSL's flow directives. */
public sealed interface Then {

    /** Go on with the next task of the list (the default). */
    record Continue() implements Then {
    }

    /** Leave the list the task is in, as if its last task had ended; the enclosing task goes on. */
    record Exit() implements Then {
    }

    /** End the whole run now, with the task's output as the run's. */
    record End() implements Then {
    }

    /** Go to the task of this name in the same list. */
    record GoTo(String task) implements Then {
    }
}
