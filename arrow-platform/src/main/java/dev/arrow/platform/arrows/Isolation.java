package dev.arrow.platform.arrows;

import java.util.Locale;

/** Which sandbox tier runs an arrow. */
public enum Isolation {
    /** Namespaces, cgroups and seccomp around a host process (the default). */
    PROCESS,
    /** A microVM booting the host's own kernel. */
    VM;

    /** As the API and manifests spell it: {@code process}, {@code vm}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
