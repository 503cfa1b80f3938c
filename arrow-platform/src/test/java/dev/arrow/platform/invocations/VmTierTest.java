package dev.arrow.platform.invocations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Isolation;
import dev.arrow.runtime.OutputPolicy;
import dev.arrow.sandbox.NetworkPolicy;
import dev.arrow.sandbox.SandboxException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VmTierTest {

    private final AtomicInteger opened = new AtomicInteger();

    private VmTier tier(Optional<String> unavailable) {
        return new VmTier(() -> unavailable, () -> {
            opened.incrementAndGet();
            throw new SandboxException("not in a unit test");
        }, OutputPolicy.DEFAULT);
    }

    private static ArrowSpec vmExec() {
        return ArrowSpec.exec("boxed", List.of("/bin/cat")).withIsolation(Isolation.VM);
    }

    @Test
    void aProcessArrowPassesWhateverTheHost() {
        VmTier none = tier(Optional.of("qemu-system-x86_64 is not installed"));

        assertThatCode(() -> none.check(ArrowSpec.exec("plain", List.of("/bin/cat")))).doesNotThrowAnyException();
        assertThatCode(() -> none.check(ArrowSpec.http("served", List.of("server")))).doesNotThrowAnyException();
    }

    @Test
    void aVmArrowOnAHostWithoutTheTierIsRefusedSayingWhy() {
        VmTier none = tier(Optional.of("qemu-system-x86_64 is not installed"));

        assertThatThrownBy(() -> none.check(vmExec()))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("isolation"))
                .hasMessageContaining("isolation vm")
                .hasMessageContaining("qemu-system-x86_64 is not installed");
    }

    @Test
    void aVmExecArrowPassesWhereTheTierRunsWithoutMakingItsDriver() {
        VmTier here = tier(Optional.empty());

        assertThatCode(() -> here.check(vmExec())).doesNotThrowAnyException();
        assertThat(opened).hasValue(0);
        assertThat(here.accelerator()).isEmpty();
    }

    @Test
    void anHttpModeVmArrowAndOneAllowedTheNetworkPass() {
        VmTier here = tier(Optional.empty());

        assertThatCode(() -> here.check(ArrowSpec.http("served", List.of("server")).withIsolation(Isolation.VM)))
                .doesNotThrowAnyException();
        assertThatCode(() -> here.check(vmExec().withNetwork(NetworkPolicy.HOST))).doesNotThrowAnyException();
        assertThat(opened).hasValue(0);
    }

    @Test
    void aDriverThatCannotBeMadeFailsEachOpenAndIsTriedAgain() {
        VmTier here = tier(Optional.empty());

        assertThatThrownBy(here::open).isInstanceOf(SandboxException.class);
        assertThatThrownBy(here::open).isInstanceOf(SandboxException.class);
        assertThat(opened).hasValue(2);
        assertThat(here.accelerator()).isEmpty();
    }
}
