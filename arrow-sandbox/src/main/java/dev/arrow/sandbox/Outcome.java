package dev.arrow.sandbox;

import java.util.Objects;

/**
 * How a sandbox ended. Each outcome maps to one exit status (the helper's convention, shared with
 * timeout(1) and shells) so that a CLI can pass it on unchanged.
 */
public sealed interface Outcome {

    /** The exit status a CLI should end with for this outcome. */
    int exitStatus();

    /** The outcome's word in the helper's result line and in {@link SandboxResult#toJson()}. */
    String name();

    /** The program returned from main or called exit. */
    record Exited(int code) implements Outcome {
        @Override
        public int exitStatus() {
            return code;
        }

        @Override
        public String name() {
            return "exited";
        }
    }

    /** The program was killed by a signal that was not one of the sandbox's own limits. */
    record Signaled(int signal) implements Outcome {
        @Override
        public int exitStatus() {
            return 128 + signal;
        }

        @Override
        public String name() {
            return "signaled";
        }
    }

    /** The memory limit was hit and the whole sandbox was killed. */
    record OutOfMemory() implements Outcome {
        @Override
        public int exitStatus() {
            return 137; // what a shell reports for the SIGKILL the kernel's OOM killer sends
        }

        @Override
        public String name() {
            return "out-of-memory";
        }
    }

    /** The wall-time limit passed and the whole sandbox was killed. */
    record TimedOut() implements Outcome {
        @Override
        public int exitStatus() {
            return 124; // timeout(1)'s status
        }

        @Override
        public String name() {
            return "timed-out";
        }
    }

    /** The pids limit was hit: the program could not create a process or thread it needed. */
    record PidsExhausted() implements Outcome {
        @Override
        public int exitStatus() {
            return 123;
        }

        @Override
        public String name() {
            return "pids-exhausted";
        }
    }

    /**
     * The program never ran.
     *
     * @param reason one of {@code command-not-found}, {@code permission-denied},
     *               {@code bad-mount-source}, {@code bad-argument}, {@code setup-failed}
     * @param detail a human-readable explanation
     */
    record FailedToStart(String reason, String detail) implements Outcome {
        public FailedToStart {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public int exitStatus() {
            // The same statuses a shell uses when it cannot run a command.
            return switch (reason) {
                case "command-not-found" -> 127;
                case "permission-denied" -> 126;
                default -> 125;
            };
        }

        @Override
        public String name() {
            return "failed-to-start";
        }
    }
}
