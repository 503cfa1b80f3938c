package dev.arrow.flows.dsl;

import dev.arrow.flows.definition.DefinitionException;

/** The refusal of a DSL feature outside the subset Arrow runs. */
final class Refusals {

    private Refusals() {
    }

    static DefinitionException unsupported(String path, String feature) {
        return new DefinitionException(path, feature + " is not supported by Arrow");
    }
}
