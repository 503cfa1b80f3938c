package dev.arrow.flows.definition;

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
        throw new DefinitionException("/", "validation is not built yet");
    }
}
