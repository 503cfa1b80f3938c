package dev.arrow.flows.asl;

import java.util.Optional;

/**
 * Where states are read: at the top level (where {@code End} ends the run) or in a branch or
 * a Map's processor (where it ends only that list), and the variables of the innermost Map
 * ({@code $$.Map.Item.Value} and {@code .Index}), named by depth so nested Maps do not shadow each other.
 */
record Scope(boolean top, Optional<String> each, Optional<String> at, int depth) {

    static Scope root() {
        return new Scope(true, Optional.empty(), Optional.empty(), 0);
    }

    Scope branch() {
        return new Scope(false, each, at, depth);
    }

    Scope map() {
        int inner = depth + 1;
        String suffix = inner == 1 ? "" : Integer.toString(inner);
        return new Scope(false, Optional.of("item" + suffix), Optional.of("index" + suffix), inner);
    }
}
