package dev.arrow.platform.access;

import dev.arrow.platform.arrows.Bindings;
import java.util.Objects;

/**
 * What a sandbox token allows: the services its arrow binds.
 *
 * @param arrow    the arrow whose sandbox holds the token
 * @param bindings what of the node's services it may reach
 */
public record SandboxGrant(String arrow, Bindings bindings) {

    public SandboxGrant {
        Objects.requireNonNull(arrow, "arrow");
        Objects.requireNonNull(bindings, "bindings");
    }
}
