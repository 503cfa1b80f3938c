package dev.arrow.platform.arrows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.IdempotencyConflictException;
import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.Idempotent;
import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import dev.arrow.platform.bundles.ArchiveFormat;
import dev.arrow.platform.bundles.InMemoryBundleStore;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ArrowServiceTest {

    private static final Instant NOW = Instant.parse("2030-01-01T10:00:00Z");

    private final InMemoryArrowStore store = new InMemoryArrowStore();
    private final InMemoryBundleStore bundles = new InMemoryBundleStore();
    private final ArrowService arrows = new ArrowService(store, bundles, Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void eachDeployIsANewRevisionThatGetsTheTraffic() {
        ArrowDetails first = arrows.deploy(ArrowSpec.exec("hello", List.of("/bin/one")));
        ArrowDetails second = arrows.deploy(ArrowSpec.exec("hello", List.of("/bin/two")));

        assertThat(first.traffic().number()).isEqualTo(1);
        assertThat(second.traffic().number()).isEqualTo(2);
        assertThat(second.traffic().spec().command()).containsExactly("/bin/two");
        assertThat(second.traffic().createdAt()).isEqualTo(NOW);
        assertThat(second.summary()).isEqualTo(new ArrowSummary("hello", 2, 2, NOW, NOW));
        assertThat(arrows.revisions("hello")).extracting(Revision::number).containsExactly(2, 1);
        assertThat(arrows.list()).extracting(ArrowSummary::name).containsExactly("hello");
    }

    @Test
    void aDeployTheNodeCannotRunIsRefusedBeforeAnyRevision() {
        var refusing = new ArrowService(store, bundles, Clock.fixed(NOW, ZoneOffset.UTC), spec -> {
            if (spec.isolation() == Isolation.VM) {
                throw new InvalidInputException("isolation", "no VM tier here");
            }
        });

        assertThatThrownBy(() -> refusing.deploy(ArrowSpec.exec("boxed", List.of("run")).withIsolation(Isolation.VM)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("isolation"));
        assertThat(refusing.list()).isEmpty();
        assertThat(refusing.deploy(ArrowSpec.exec("plain", List.of("run"))).traffic().spec().isolation())
                .isEqualTo(Isolation.PROCESS);
    }

    @Test
    void aRollbackToARevisionTheNodeCannotRunIsRefused() {
        arrows.deploy(ArrowSpec.exec("boxed", List.of("run")).withIsolation(Isolation.VM));
        arrows.deploy(ArrowSpec.exec("boxed", List.of("run")));
        var refusing = new ArrowService(store, bundles, Clock.fixed(NOW, ZoneOffset.UTC), spec -> {
            if (spec.isolation() == Isolation.VM) {
                throw new InvalidInputException("isolation", "no VM tier here");
            }
        });

        assertThatThrownBy(() -> refusing.rollback("boxed", Optional.empty()))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("isolation"));
        assertThat(refusing.details("boxed").summary().trafficRevision()).isEqualTo(2);
    }

    @Test
    void aDeployNamesOnlyABundleTheNodeHas() throws Exception {
        String digest = "sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> arrows.deploy(ArrowSpec.exec("hello", List.of("run")).withBundle(digest)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("bundle"));
        assertThat(arrows.list()).isEmpty();

        String stored = bundles.put(new ByteArrayInputStream(new byte[] {1, 2}), ArchiveFormat.TAR_GZ).digest();
        assertThat(arrows.deploy(ArrowSpec.exec("hello", List.of("run")).withBundle(stored)).traffic().spec().bundle())
                .contains(stored);
    }

    @Test
    void aRollbackMovesTheTrafficToTheRevisionBeforeOrTheOneNamed() {
        for (int i = 1; i <= 3; i++) {
            arrows.deploy(ArrowSpec.exec("hello", List.of("/bin/v" + i)));
        }

        assertThat(arrows.rollback("hello", Optional.empty()).traffic().number()).isEqualTo(2);
        assertThat(arrows.rollback("hello", Optional.empty()).traffic().number()).isEqualTo(1);
        assertThatThrownBy(() -> arrows.rollback("hello", Optional.empty()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("no revision before 1");
        assertThat(arrows.rollback("hello", Optional.of(3)).summary().trafficRevision()).isEqualTo(3);
        assertThatThrownBy(() -> arrows.rollback("hello", Optional.of(4)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("has revisions 1 to 3, not 4");
        assertThat(arrows.details("hello").summary().latestRevision()).isEqualTo(3);
    }

    @Test
    void aDeletedArrowIsGone() {
        arrows.deploy(ArrowSpec.exec("hello", List.of("run")));

        arrows.delete("hello");

        assertThatThrownBy(() -> arrows.details("hello")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> arrows.delete("hello")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> arrows.revision("hello", 1)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> arrows.revisions("Bad")).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void aRetriedDeployWithItsKeyAddsNoRevisionAndAnswersAsTheFirstDid() {
        ArrowSpec spec = ArrowSpec.exec("hello", List.of("/bin/one"));
        Optional<IdempotencyKey> key = Optional.of(IdempotencyKey.of("d-1", "hello", "{\"name\":\"hello\"}".getBytes()));

        Idempotent<ArrowDetails> first = arrows.deploy(spec, key);
        arrows.deploy(ArrowSpec.exec("hello", List.of("/bin/two"))); // revision 2, without a key
        Idempotent<ArrowDetails> again = arrows.deploy(spec, key);

        assertThat(first.replayed()).isFalse();
        assertThat(again.replayed()).isTrue();
        assertThat(again.result()).isEqualTo(first.result());
        assertThat(again.result().traffic().number()).isEqualTo(1);
        assertThat(arrows.revisions("hello")).hasSize(2);
        assertThat(arrows.details("hello").traffic().number()).as("a replay moves no traffic").isEqualTo(2);
    }

    @Test
    void aDeployKeyUsedForAnotherSpecIsRefusedAsReused() {
        arrows.deploy(ArrowSpec.exec("hello", List.of("/bin/one")),
                Optional.of(IdempotencyKey.of("d-1", "hello", "one".getBytes())));

        assertThatThrownBy(() -> arrows.deploy(ArrowSpec.exec("hello", List.of("/bin/two")),
                Optional.of(IdempotencyKey.of("d-1", "hello", "two".getBytes()))))
                .isInstanceOfSatisfying(IdempotencyConflictException.class,
                        e -> assertThat(e.conflict()).isEqualTo(IdempotencyConflictException.Conflict.REUSED));
        assertThat(arrows.revisions("hello")).hasSize(1);
    }
}
