package dev.arrow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The exit statuses of native/README.md: a CLI passes them on, so scripts depend on them. */
class OutcomeTest {

    @Test
    void exitedPassesTheProgramsCodeOn() {
        assertThat(new Outcome.Exited(0).exitStatus()).isZero();
        assertThat(new Outcome.Exited(3).exitStatus()).isEqualTo(3);
    }

    @Test
    void signaledIs128PlusTheSignal() {
        assertThat(new Outcome.Signaled(9).exitStatus()).isEqualTo(137);
        assertThat(new Outcome.Signaled(15).exitStatus()).isEqualTo(143);
    }

    @Test
    void limitsHaveTheirOwnStatuses() {
        assertThat(new Outcome.TimedOut().exitStatus()).isEqualTo(124);
        assertThat(new Outcome.OutOfMemory().exitStatus()).isEqualTo(137);
        assertThat(new Outcome.PidsExhausted().exitStatus()).isEqualTo(123);
    }

    @Test
    void failuresToStartUseTheShellsStatuses() {
        assertThat(new Outcome.FailedToStart("command-not-found", "").exitStatus()).isEqualTo(127);
        assertThat(new Outcome.FailedToStart("permission-denied", "").exitStatus()).isEqualTo(126);
        assertThat(new Outcome.FailedToStart("bad-mount-source", "").exitStatus()).isEqualTo(125);
        assertThat(new Outcome.FailedToStart("bad-argument", "").exitStatus()).isEqualTo(125);
        assertThat(new Outcome.FailedToStart("setup-failed", "").exitStatus()).isEqualTo(125);
    }

    @Test
    void namesAreTheHelpersWords() {
        assertThat(new Outcome.Exited(0).name()).isEqualTo("exited");
        assertThat(new Outcome.Signaled(1).name()).isEqualTo("signaled");
        assertThat(new Outcome.OutOfMemory().name()).isEqualTo("out-of-memory");
        assertThat(new Outcome.TimedOut().name()).isEqualTo("timed-out");
        assertThat(new Outcome.PidsExhausted().name()).isEqualTo("pids-exhausted");
        assertThat(new Outcome.FailedToStart("setup-failed", "").name()).isEqualTo("failed-to-start");
    }
}
