package dev.arrow.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A host path made visible inside the sandbox.
 *
 * @param source   the host path; made absolute so the helper never depends on its working directory
 * @param target   where it appears inside the sandbox (absolute)
 * @param writable whether the sandbox may write through it; read-only is the safe default
 */
public record Mount(Path source, String target, boolean writable) {

    public Mount {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        source = source.toAbsolutePath().normalize();
        if (!target.startsWith("/")) {
            throw new IllegalArgumentException("mount target must be an absolute path: " + target);
        }
        // ".." could climb out of the sandbox's root while the helper builds the mount tree.
        if (List.of(target.split("/")).contains("..")) {
            throw new IllegalArgumentException("mount target must not contain '..': " + target);
        }
        SandboxSpec.requireNoNul(target, "mount target");
    }

    public static Mount readOnly(Path source, String target) {
        return new Mount(source, target, false);
    }

    public static Mount writable(Path source, String target) {
        return new Mount(source, target, true);
    }
}
