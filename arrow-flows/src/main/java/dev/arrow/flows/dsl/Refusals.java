package dev.arrow.flows.dsl;

import dev.arrow.flows.definition.DefinitionException;

/** The refusal of a DSL feature outside the subset Arrow runs. */
final class Refusals {

    private Refusals() {
    }

    private static final String SUFFIX = " is not supported by Arrow";

    static DefinitionException unsupported(String path, String feature) {
        return new DefinitionException(path, feature + SUFFIX);
    }

    static boolean isRefusal(DefinitionException e) {
        return e.getMessage().endsWith(SUFFIX);
    }
}
